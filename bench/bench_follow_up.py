"""10, 100 and 1,000 calls followed at once under one poll budget: how far it goes (issue 9).

Each size is one run against the Kavenegar sandbox over loopback HTTP, with the bot and the
sandbox on one :class:`~bot.core.clock.ManualClock`, so simulated time is exact and nothing sleeps.
The bot's services are built as the bot builds them (:func:`bot.services.build_services`, with
the default settings but no call quotas), without Telegram (an in-memory messenger). The calls
are placed through their :class:`~bot.calls.service.CallService` (real sandbox calls, real
rows), all at the same instant; every call is answered at 5 s; half are hung up in their
ringing window (between 10 and 60 s), half after it (between 120 and 600 s), at seeded random
times. The clock then moves a quarter second at a time, with a :meth:`CallWatcher.tick` at each
step, until every call is closed.

Reported, as measured (never asserted):

- the most polls (``GET /calls/{id}`` the sandbox received) in any 1-second window of simulated
  time, ``[t, t + 1)``, and the average rate from the calls' creation to the last close, each
  divided by the budget (``KAVENEGAR_POLL_RPS``, default 5 polls/s);
- the delay from each call's end (the sandbox's ``finishedAt``) to its outcome being recorded
  and announced (the row's ``finished_at``: the watcher's clock at ``close_call``), median and
  p90, for calls that ended in their first 70 s and for those that ended later.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.calls.service import CallRequest, CallService
from bot.calls.watcher import RINGING_WINDOW
from bot.config import Settings
from bot.core.clock import Clock, ManualClock
from bot.core.messages import Button, Delivery, OutgoingMessage, Receipt
from bot.core.people import UserProfile
from bot.core.records import CallOutcome
from bot.services import build_services
from bot.storage import Store
from bot.storage.tables import calls as calls_table
from kavenegar import KavenegarClient, RetryPolicy
from kavenegar.sandbox import KavenegarSandbox, SandboxClock

SIZES = (10, 100, 1000)
SEED = 9
#: Simulated seconds between two ticks of the watcher.
STEP = 0.25
#: Give up on a run after this much simulated time, or this much wall time.
MAX_SIMULATED = 3600.0
WALL_GUARD = 100.0
START = datetime(2026, 11, 30, 9, 0, 0)
ANSWER_AT = 5.0
RINGING_ENDS = (10.0, 60.0)
LATE_ENDS = (120.0, 600.0)
GROUP = -100_900
TOKEN = "bench"
BUDGET = float(Settings.model_fields["kavenegar_poll_rps"].default)
PLACING = 8  # /call commands handled at a time while the calls are created


class Messenger:
    """A :class:`~bot.core.messages.Messenger` that keeps what a chat would show, per message id,
    and when (simulated time) each group notice was first edited: when its call's outcome was
    announced (the announcement is the only edit of a notice)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last_id: dict[int, int] = {}
        self.current: dict[tuple[int, int], OutgoingMessage] = {}
        self.edits = 0
        #: Notice message id -> the time its outcome was announced.
        self.announced: dict[int, datetime] = {}

    async def send(self, chat_id: int, message: OutgoingMessage) -> Receipt:
        message_id = self.last_id.get(chat_id, 0) + 1
        self.last_id[chat_id] = message_id
        self.current[(chat_id, message_id)] = message
        return Receipt(Delivery.SENT, message_id)

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> Delivery:
        self.edits += 1
        if chat_id == GROUP:
            self.announced.setdefault(message_id, self.clock.now())
        if (chat_id, message_id) not in self.current:
            return Delivery.GONE
        self.current[(chat_id, message_id)] = message
        return Delivery.SENT

    async def send_document(
        self, chat_id: int, file_name: str, data: bytes, message: OutgoingMessage
    ) -> Receipt:
        return await self.send(chat_id, message)

    async def edit_buttons(
        self, chat_id: int, message_id: int, buttons: tuple[Button, ...] = ()
    ) -> Delivery:
        return Delivery.SENT

    async def answer_callback(
        self, callback_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        pass


@dataclass(order=True)
class Event:
    """Something a participant does to a sandbox call at an offset from the start."""

    at_ms: int
    call_id: str = field(compare=False)
    kind: str = field(compare=False)  # "answer" or "hangup"


@dataclass
class Result:
    size: int
    polls: int
    peak: int
    average: float
    early: list[float]
    late: list[float]
    simulated: float
    wall: float
    placing: float
    closed: int
    outcomes: dict[str, int]


def p90(values: list[float]) -> float:
    """The nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def peak_per_second(polls_at: list[tuple[float, int]]) -> int:
    """The most polls in any window ``[t, t + 1)`` of simulated time (``t`` a poll's time)."""
    best, left, inside = 0, 0, 0
    for at, count in polls_at:
        inside += count
        while polls_at[left][0] <= at - 1.0:
            inside -= polls_at[left][1]
            left += 1
        best = max(best, inside)
    return best


def move_to(clock: ManualClock, at_ms: int) -> None:
    """Set the shared clock to ``at_ms`` after the start (exactly: whole microseconds)."""
    target = START + timedelta(milliseconds=at_ms)
    if target > clock.now():
        clock.advance((target - clock.now()).total_seconds())


async def closing_times(store: Store) -> dict[int, datetime]:
    """Each closed row's ``finished_at``: the watcher's clock when ``close_call`` ran."""
    query = select(calls_table.c.id, calls_table.c.finished_at).where(
        calls_table.c.finished_at.is_not(None)
    )
    async with store.engine.connect() as conn:
        return {row.id: row.finished_at for row in await conn.execute(query)}


async def place_calls(service: CallService, store: Store, size: int) -> list[int]:
    """``size`` people each call another one from the same group, all at the same instant."""
    for i in range(size):
        await store.upsert_user(
            UserProfile(10_000 + i, f"Caller {i}", username=f"caller_{i}", language_code="en"),
            dm_open=True,
            started=True,
        )
        await store.upsert_user(
            UserProfile(20_000 + i, f"Callee {i}", username=f"callee_{i}", language_code="en"),
            dm_open=True,
            started=True,
        )
    gate = asyncio.Semaphore(PLACING)

    async def one(i: int) -> int:
        caller = UserProfile(10_000 + i, f"Caller {i}", username=f"caller_{i}")
        request = CallRequest(
            chat_id=GROUP, message_id=i + 1, caller=caller, args_text=f" @callee_{i}"
        )
        async with gate:
            report = await service.handle(request)
        if report.outcome != "placed" or report.call_row_id is None:
            raise RuntimeError(f"call {i} not placed: {report}")
        return report.call_row_id

    return list(await asyncio.gather(*(one(i) for i in range(size))))


async def run(size: int, workdir: Path) -> Result:
    rng = random.Random(SEED)
    clock = ManualClock(START)
    sandbox = KavenegarSandbox(api_token=TOKEN, clock=SandboxClock(now=clock.now))
    async with sandbox:
        url = f"sqlite+aiosqlite:///{workdir / f'follow-{size}.db'}"
        store = await Store.open(url, timeout=5)
        messenger = Messenger(clock)
        quick = RetryPolicy(initial_delay=0, max_delay=0)
        creator = KavenegarClient(
            api_token=TOKEN, base_url=sandbox.base_url, max_retries=0, retry_policy=quick
        )
        # As in the bot: polls go through a client of their own, one try each.
        poller = KavenegarClient(
            api_token=TOKEN, base_url=sandbox.base_url, max_retries=0, total_timeout=10.0
        )
        async with creator, poller:
            # the defaults (a budget of BUDGET polls a second), without call quotas
            settings = Settings(
                _env_file=None,
                telegram_bot_token="1:bench",
                kavenegar_api_token=TOKEN,
                database_url=url,
                calls_per_minute=0,
                calls_per_day=0,
            )
            services = build_services(
                settings,
                store=store,
                kavenegar=creator,
                poller=poller,
                messenger=messenger,
                bot_username="KavenegarCallBot",
                clock=clock,
                owner="bench",
            )
            service, watcher = services.calls, services.watcher
            began = time.perf_counter()
            rows = sorted(await place_calls(service, store, size))  # endings by row id: seeded
            placing = time.perf_counter() - began
            records = {r.id: r for r in await store.list_calls()}
            events: list[Event] = []
            for n, row in enumerate(rows):
                call_id = records[row].kavenegar_call_id
                assert call_id is not None
                low, high = RINGING_ENDS if n % 2 == 0 else LATE_ENDS
                events.append(Event(round(ANSWER_AT * 1000), call_id, "answer"))
                events.append(Event(round(rng.uniform(low, high) * 1000), call_id, "hangup"))
            events.sort(reverse=True)  # popped from the end, earliest first
            sandbox.requests.clear()  # the creates are not polls

            polls_at: list[tuple[float, int]] = []
            step_ms = round(STEP * 1000)
            tick_ms = 0
            began = time.perf_counter()
            while len(messenger.announced) < size:
                if tick_ms > MAX_SIMULATED * 1000 or time.perf_counter() - began > WALL_GUARD:
                    left = size - len(messenger.announced)
                    stopped = f"stopped at {tick_ms / 1000:.0f} s simulated"
                    print(f"  {size} calls: {stopped}, {left} not closed", file=sys.stderr)
                    break
                while events and events[-1].at_ms <= tick_ms:
                    event = events.pop()
                    move_to(clock, event.at_ms)
                    if event.kind == "answer":
                        sandbox.state.answer(event.call_id)
                    else:
                        sandbox.state.hangup(event.call_id)
                move_to(clock, tick_ms)
                seen = len(sandbox.requests)
                await watcher.tick()
                polled = sum(
                    1
                    for request in sandbox.requests[seen:]
                    if request["method"] == "GET" and request["path"].startswith("/calls/")
                )
                if polled:
                    polls_at.append((tick_ms / 1000, polled))
                tick_ms += step_ms
            wall = time.perf_counter() - began

            early: list[float] = []
            late: list[float] = []
            outcomes: dict[str, int] = {}
            closed_at = await closing_times(store)
            for row in rows:
                record = await store.get_call(row)
                assert record is not None and record.kavenegar_call_id is not None
                assert record.notice_message_id is not None
                finished_at = closed_at.get(row)
                if record.outcome is None or finished_at is None:
                    continue
                outcomes[record.outcome.value] = outcomes.get(record.outcome.value, 0) + 1
                call = sandbox.state.calls[record.kavenegar_call_id]
                if call.finished_at is None:  # closed without Kavenegar reporting an end
                    continue
                delay = (finished_at - call.finished_at).total_seconds()
                announced = messenger.announced[record.notice_message_id]
                assert announced == finished_at, (announced, finished_at)
                ended = call.finished_at - call.created_at
                (early if ended < RINGING_WINDOW else late).append(delay)
            polls = sum(count for _, count in polls_at)
            assert polls == watcher.polls, (polls, watcher.polls)
            last_close = max(messenger.announced.values(), default=START)
            simulated = (last_close - START).total_seconds()
        await store.close()
    return Result(
        size=size,
        polls=polls,
        peak=peak_per_second(polls_at),
        average=polls / simulated if simulated else 0.0,
        early=early,
        late=late,
        simulated=simulated,
        wall=wall,
        placing=placing,
        closed=len(messenger.announced),
        outcomes=outcomes,
    )


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.1f} / {p90(values):.1f}"


async def main(workdir: Path) -> None:
    print(f"Budget KAVENEGAR_POLL_RPS = {BUDGET:g} polls/s; a tick every {STEP} s; seed {SEED}")
    print("Delay: Kavenegar's finishedAt to the outcome recorded and announced, median / p90 (s)")
    header = (
        f"{'calls':>6} {'closed':>6} {'polls':>6} {'peak 1 s':>9} {'average':>8} "
        f"{'ended < 70 s':>14} {'ended later':>14} {'simulated':>10} {'wall':>7}"
    )
    print(header)
    print(f"{'':>6} {'':>6} {'':>6} {'/ budget':>9} {'/ budget':>8}")
    for size in SIZES:
        r = await run(size, workdir)
        print(
            f"{r.size:>6} {r.closed:>6} {r.polls:>6} {r.peak / BUDGET:>9.2f} "
            f"{r.average / BUDGET:>8.2f} {spread(r.early):>14} {spread(r.late):>14} "
            f"{r.simulated:>9.0f}s {r.wall:>6.1f}s",
            flush=True,
        )
        if set(r.outcomes) != {CallOutcome.ANSWERED.value}:
            print(f"       outcomes: {r.outcomes}")
        over = " (above the budget)" if r.peak > BUDGET else ""
        print(f"       peak {r.peak} polls in 1 s{over}; {r.placing:.1f} s wall to place the calls")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(Path(tmp)))
