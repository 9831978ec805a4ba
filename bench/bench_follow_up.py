"""10 to 10,000 calls followed at once under one request budget: how far it goes (issues 9, 21).

Each size is one run against the Kavenegar sandbox over loopback HTTP. The bot's services are
built as the bot builds them (:func:`bot.services.build_services`, with the default settings but
no call quotas: ``KAVENEGAR_POLL_RPS`` 5, ``KAVENEGAR_SWEEP_FROM`` 10, ``KAVENEGAR_LIST_SIZE``
20, which the watcher doubles while sweeps need many pages: 80 here, the sandbox refusing more
than 100), without Telegram (a messenger that takes :data:`TELEGRAM` seconds an edit). The calls
are placed through their :class:`~bot.calls.service.CallService` (real sandbox calls, real rows),
all at one instant of a clock held still while they are placed; every call is answered at 5 s
and hung up at a seeded random moment between 6 and 70 s (all end in their first 70 s).

Time (:class:`BenchClock`, the bot's and the sandbox's): once the calls are placed it runs in
real time while the bot works, and each sleep between two ticks of the watcher (0.5 s, as the
scheduler's) returns at once with its time skipped: a replica with the waiting taken out. So
every Kavenegar request takes its real time, :data:`KAVENEGAR` seconds at the sandbox plus the
HTTP and parsing, and so does the bot's database work; only idle time is skipped.

Reported, as measured (never asserted):

- the requests (polls ``GET /calls/{id}`` and list pages ``GET /calls``) per followed call, the
  most in any 1-second window ``[t, t + 1)`` by the times they reached the sandbox, and the
  average rate from the calls' creation to the last close, as ratios to the budget;
- the delay from each call's end (the sandbox's ``finishedAt``) to its outcome shown (the group
  notice edited by the announcer), median and p90.
"""

from __future__ import annotations

import argparse
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
from bot.config import Settings
from bot.core.clock import Clock
from bot.core.messages import Button, Delivery, OutgoingMessage, Receipt
from bot.core.people import UserProfile
from bot.core.records import CallOutcome
from bot.services import build_services
from bot.storage import Store
from bot.storage.tables import calls as calls_table
from kavenegar import KavenegarClient, RetryPolicy
from kavenegar.sandbox import KavenegarSandbox, SandboxClock

SIZES = (10, 100, 1000, 10_000)
SEED = 9
#: Seconds between two ticks of the watcher (skipped): the scheduler's idle sleep.
STEP = 0.5
#: Give up on a run after this much simulated time, or this much wall time.
MAX_SIMULATED = 900.0
WALL_GUARD = 900.0
START = datetime(2026, 11, 30, 9, 0, 0)
ANSWER_AT = 5.0
ENDS = (6.0, 70.0)
GROUP = -100_900
TOKEN = "bench"
BUDGET = float(Settings.model_fields["kavenegar_poll_rps"].default)
PLACING = 8  # /call commands handled at a time while the calls are created
#: The stand-ins' time a request: the sandbox's (``faults.latency``) and the messenger's edit.
KAVENEGAR = 0.1
TELEGRAM = 0.1


class BenchClock:
    """Held still until :meth:`run`; then real time while the bot works, and :meth:`skip`
    (the bench's wait between two ticks) returns at once, its time skipped. Any other sleep (a
    placing's lease renewals while the calls are placed) takes its real time."""

    def __init__(self, start: datetime) -> None:
        self._base = start
        self._mark: float | None = None

    def now(self) -> datetime:
        if self._mark is None:
            return self._base
        return self._base + timedelta(seconds=time.perf_counter() - self._mark)

    def run(self) -> None:
        self._mark = time.perf_counter()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def skip(self, seconds: float) -> None:
        self._base, self._mark = self.now() + timedelta(seconds=seconds), time.perf_counter()
        await asyncio.sleep(0)


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
        await asyncio.sleep(TELEGRAM)
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
    pages: int
    sweeps: int
    peak: int
    average: float
    delays: list[float]
    simulated: float
    wall: float
    placing: float
    closed: int
    outcomes: dict[str, int]
    #: The page sizes asked for, in the order each was first asked, and how often each.
    sizes: dict[str, int]


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


async def run(size: int, workdir: Path, list_size: int) -> Result:
    rng = random.Random(SEED)
    clock = BenchClock(START)
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
            # the defaults (a budget of BUDGET requests a second), without call quotas
            settings = Settings(
                _env_file=None,
                telegram_bot_token="1:bench",
                kavenegar_api_token=TOKEN,
                database_url=url,
                calls_per_minute=0,
                calls_per_day=0,
                kavenegar_list_size=list_size,
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
            for row in rows:
                call_id = records[row].kavenegar_call_id
                assert call_id is not None
                events.append(Event(round(ANSWER_AT * 1000), call_id, "answer"))
                events.append(Event(round(rng.uniform(*ENDS) * 1000), call_id, "hangup"))
            events.sort(reverse=True)  # popped from the end, earliest first
            sandbox.requests.clear()  # the creates are not followed
            sandbox.faults.latency = KAVENEGAR

            sent_at: list[tuple[float, int]] = []
            began = time.perf_counter()
            clock.run()
            while len(messenger.announced) < size:
                at = (clock.now() - START).total_seconds()
                if at > MAX_SIMULATED or time.perf_counter() - began > WALL_GUARD:
                    left = size - len(messenger.announced)
                    stopped = f"stopped at {at:.0f} s simulated"
                    print(f"  {size} calls: {stopped}, {left} not closed", file=sys.stderr)
                    break
                while events and events[-1].at_ms <= at * 1000:
                    event = events.pop()
                    if event.kind == "answer":
                        sandbox.state.answer(event.call_id)
                    else:
                        sandbox.state.hangup(event.call_id)
                seen = len(sandbox.requests)
                await watcher.tick()
                asked = sum(1 for r in sandbox.requests[seen:] if r["method"] == "GET")
                if asked:
                    sent_at.append((at, asked))
                await clock.skip(STEP)
            wall = time.perf_counter() - began

            delays: list[float] = []
            outcomes: dict[str, int] = {}
            closed_at = await closing_times(store)
            for row in rows:
                record = await store.get_call(row)
                assert record is not None and record.kavenegar_call_id is not None
                assert record.notice_message_id is not None
                if record.outcome is None or row not in closed_at:
                    continue
                outcomes[record.outcome.value] = outcomes.get(record.outcome.value, 0) + 1
                call = sandbox.state.calls[record.kavenegar_call_id]
                if call.finished_at is None:  # closed without Kavenegar reporting an end
                    continue
                shown = messenger.announced[record.notice_message_id]
                delays.append((shown - call.finished_at).total_seconds())
            requests = sum(count for _, count in sent_at)
            # the peak, by the times the requests reached the sandbox
            arrived = sorted(
                ((datetime.fromisoformat(r["at"]) - START).total_seconds(), 1)
                for r in sandbox.requests
                if r["method"] == "GET"
            )
            assert requests == watcher.polls + watcher.pages, (requests, watcher.polls)
            sizes: dict[str, int] = {}
            for r in sandbox.requests:
                if r["method"] == "GET" and r["path"] == "/calls":
                    asked_size = r["query"].get("size", "?")
                    sizes[asked_size] = sizes.get(asked_size, 0) + 1
            last_close = max(messenger.announced.values(), default=START)
            simulated = (last_close - START).total_seconds()
        await store.close()
    return Result(
        size=size,
        polls=watcher.polls,
        pages=watcher.pages,
        sweeps=watcher.sweeps,
        peak=peak_per_second(arrived),
        average=requests / simulated if simulated else 0.0,
        delays=delays,
        simulated=simulated,
        wall=wall,
        placing=placing,
        closed=len(messenger.announced),
        outcomes=outcomes,
        sizes=sizes,
    )


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.1f} / {p90(values):.1f}"


async def main(workdir: Path, sizes: tuple[int, ...], list_size: int) -> None:
    print(
        f"Budget KAVENEGAR_POLL_RPS = {BUDGET:g} requests/s; a tick every {STEP} s (skipped); "
        f"Kavenegar {KAVENEGAR * 1000:.0f} ms, Telegram {TELEGRAM * 1000:.0f} ms a request; "
        f"seed {SEED}; KAVENEGAR_LIST_SIZE = {list_size}"
    )
    print("Delay: Kavenegar's finishedAt to the outcome shown in the group, median / p90 (s)")
    header = (
        f"{'calls':>6} {'closed':>6} {'polls':>6} {'pages':>6} {'req/call':>8} "
        f"{'peak 1 s':>9} {'average':>8} {'end to shown':>13} {'simulated':>10} {'wall':>7}"
    )
    print(header)
    print(f"{'':>6} {'':>6} {'':>6} {'':>6} {'':>8} {'/ budget':>9} {'/ budget':>8}")
    for size in sizes:
        r = await run(size, workdir, list_size)
        print(
            f"{r.size:>6} {r.closed:>6} {r.polls:>6} {r.pages:>6} "
            f"{(r.polls + r.pages) / r.size:>8.2f} {r.peak / BUDGET:>9.2f} "
            f"{r.average / BUDGET:>8.2f} {spread(r.delays):>13} "
            f"{r.simulated:>9.0f}s {r.wall:>6.1f}s",
            flush=True,
        )
        if set(r.outcomes) != {CallOutcome.ANSWERED.value}:
            print(f"       outcomes: {r.outcomes}")
        over = " (above the budget)" if r.peak > BUDGET else ""
        print(
            f"       {r.sweeps} sweeps; peak {r.peak} requests in 1 s{over}; "
            f"{r.placing:.1f} s wall to place the calls",
            flush=True,
        )
        asked = ", ".join(f"{size} ({count})" for size, count in r.sizes.items())
        print(f"       page sizes asked (pages): {asked or '-'}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="calls followed at once (all four)")
    default_size = Settings.model_fields["kavenegar_list_size"].default
    parser.add_argument("--list-size", type=int, default=default_size, help="calls a page")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(Path(tmp), tuple(arguments.sizes) or SIZES, arguments.list_size))
