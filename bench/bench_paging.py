"""A page whose first two people do not answer: how soon it reaches the third (issue 10).

The goal: the third person is rung in the time the two Kavenegar ringing windows take (2 × 60 s:
the sandbox, like Kavenegar, ends a call nobody joins after one minute as ``no_one_connected``),
plus at most 5 s of bot overhead per step.

The bot's services are built as the bot builds them (:func:`bot.services.build_services`, the
default settings but ``PAGE_RETRIES``; its one :class:`~bot.core.work.Scheduler` runs every
worker: call watcher, pages, hand-overs, phone registrations, support lines), without Telegram
(an in-memory messenger), against the Kavenegar sandbox over loopback HTTP, on
one SQLite file. A team of three (Bob, Carol, Dave; no rotation, so Bob is on call) and
``PAGE_RETRIES`` = 0; Alice pages it. Nobody joins Bob's or Carol's call (the sandbox ends each
after its window); Dave's is answered the moment it exists, and hung up once the page is
answered. One warm-up page, then ``PAGES`` measured ones, one after another on the same store.

Ways of moving time, each on one clock the bot and the sandbox share:

- ``lockstep`` (a :class:`~bot.core.clock.ManualClock`): the clock moves 0.25 s at a time, with one
  :meth:`Scheduler.tick` at each step; the bot's work takes no simulated time. Each page starts
  at a different point inside a step (0, 0.05 ... 0.20 s after one). The bot's own work on the
  way (DB, HTTP to the sandbox) is timed separately, in wall-clock time.
- ``loop``: the real :meth:`Scheduler.run` loop (a tick, then a 0.5 s sleep) on a clock that
  runs in real time while the bot works and skips its sleeps: a production replica with the
  waiting taken out, so the cadences drift by the time the work takes, as they do in production.
- ``loop`` again, with assumed round trips (``KAVENEGAR_RTT`` a sandbox request, ``TELEGRAM_RTT``
  a Telegram request), spent in real time.

Reported per page (simulated seconds): the time from the page to the third call's creation
(against the 120 s floor), and the overhead of each step: page → first call, then Kavenegar's
``finishedAt`` of one attempt → the next attempt's call created. Per step between attempts, as
median / max and as ratios to the 5 s goal: the simulated overhead, the bot's wall-clock work in
it (lockstep) or the part of it awake, not in the scheduler's sleep (loop), and the Telegram
requests made on the way (the messenger answers at once but in the last variant). Measured, never
asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bot.config import Settings
from bot.core.clock import Clock, ManualClock
from bot.core.messages import Button, Delivery, OutgoingMessage, Receipt
from bot.core.people import UserProfile
from bot.core.records import PageStatus
from bot.core.work import Scheduler
from bot.oncall.paging import PageService
from bot.services import build_services
from bot.storage import Store
from bot.storage.tables import calls as calls_table, pages as pages_table
from kavenegar import KavenegarClient
from kavenegar.sandbox import CALL_WINDOW, KavenegarSandbox, SandboxClock, SimCall

PAGES = 5
#: Simulated seconds between two scheduler ticks in lockstep.
STEP = 0.25
GOAL = 5.0  # seconds of bot overhead allowed per step
FLOOR = 2 * CALL_WINDOW.total_seconds()  # two ringing windows before the third person
START = datetime(2026, 11, 30, 9, 0, 0)
GROUP = -100_910
TOKEN = "bench"
ALICE, BOB, CAROL, DAVE = 5001, 5002, 5003, 5004
PEOPLE = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", DAVE: "Dave"}
#: Assumed round trips of the last variant (the sandbox's latency; the messenger's).
KAVENEGAR_RTT = 0.25
TELEGRAM_RTT = 0.15
#: Give up on a mode after this much wall time.
WALL_GUARD = 300.0


class SkipClock:
    """Real time while the bot works; a sleep returns at once, its time skipped."""

    def __init__(self, start: datetime) -> None:
        self._base = start
        self._mark = time.perf_counter()
        #: Each sleep: (simulated time it began, seconds skipped).
        self.sleeps: list[tuple[datetime, float]] = []

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.perf_counter() - self._mark)

    async def sleep(self, seconds: float) -> None:
        began = self.now()
        self.sleeps.append((began, seconds))
        self._base, self._mark = began + timedelta(seconds=seconds), time.perf_counter()
        await asyncio.sleep(0)


@dataclass(frozen=True)
class Op:
    """A Telegram request the bot made: when (simulated) and after how many call creations."""

    at: datetime
    creations: int


class Messenger:
    """A :class:`~bot.core.messages.Messenger` that answers at once and notes every request."""

    def __init__(self, clock: Clock, creations: list[float], latency: float = 0.0) -> None:
        self.clock = clock
        self.creations = creations
        self.latency = latency
        self.last_id: dict[int, int] = {}
        self.ops: list[Op] = []

    async def _note(self) -> None:
        self.ops.append(Op(self.clock.now(), len(self.creations)))
        if self.latency:
            await asyncio.sleep(self.latency)  # a round trip to Telegram, in real time

    async def send(self, chat_id: int, message: OutgoingMessage) -> Receipt:
        await self._note()
        message_id = self.last_id.get(chat_id, 0) + 1
        self.last_id[chat_id] = message_id
        return Receipt(Delivery.SENT, message_id)

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> Delivery:
        await self._note()
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
        await self._note()


@dataclass
class Tick:
    at: datetime  # simulated
    began: float  # wall (perf_counter)
    ended: float


@dataclass
class Env:
    clock: Clock
    sandbox: KavenegarSandbox
    store: Store
    messenger: Messenger
    pages: PageService
    scheduler: Scheduler
    #: perf_counter when each ``POST /calls`` was answered (the call exists).
    creations: list[float]
    ticks: list[Tick] = field(default_factory=list)


@contextlib.asynccontextmanager
async def environment(
    clock: Clock, workdir: Path, name: str, *, kavenegar_rtt: float = 0.0, telegram_rtt: float = 0.0
) -> AsyncIterator[Env]:
    """The bot's services as :func:`~bot.services.build_services` builds them, minus Telegram;
    the sandbox and the messenger take ``kavenegar_rtt`` and ``telegram_rtt`` (real) seconds a
    request."""
    creations: list[float] = []

    async def noted(response: httpx.Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.path.endswith("/calls"):
            creations.append(time.perf_counter())

    sandbox = KavenegarSandbox(api_token=TOKEN, clock=SandboxClock(now=clock.now))
    sandbox.faults.latency = kavenegar_rtt
    async with sandbox, httpx.AsyncClient(event_hooks={"response": [noted]}) as http:
        url = f"sqlite+aiosqlite:///{workdir / f'{name}.db'}"
        store = await Store.open(url, timeout=5)
        creator = KavenegarClient(api_token=TOKEN, base_url=sandbox.base_url, http_client=http)
        poller = KavenegarClient(
            api_token=TOKEN, base_url=sandbox.base_url, max_retries=0, total_timeout=10.0
        )
        async with creator, poller:
            messenger = Messenger(clock, creations, telegram_rtt)
            settings = Settings(
                _env_file=None,
                telegram_bot_token="1:bench",
                kavenegar_api_token=TOKEN,
                database_url=url,
                page_retries=0,
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
            for telegram_id, name_ in PEOPLE.items():
                profile = UserProfile(
                    telegram_id, name_, username=name_.lower(), language_code="en"
                )
                await store.upsert_user(profile, dm_open=True, started=True)
            team = await store.teams.create(
                "ops",
                owner_id=ALICE,
                chat_id=GROUP,
                zone=services.oncall.default_zone,
                now=clock.now(),
            )
            assert team is not None
            await store.teams.add_members(team.id, [BOB, CAROL, DAVE], clock.now())
            yield Env(
                clock, sandbox, store, messenger, services.pages, services.scheduler, creations
            )
        await store.close()


@dataclass
class PageRun:
    """One page's figures; steps: page → call 1, end of call 1 → call 2, end of 2 → call 3."""

    reach: float
    steps: list[float]
    work: list[float]  # lockstep: the bot's wall-clock work; loop: simulated time not asleep
    telegram: list[int]
    reasons: list[str]
    #: Per attempt 1 and 2: Kavenegar's end → the watcher recorded it (simulated seconds).
    seen: list[float]


class Driver:
    """Pages the team, answers the third call, hangs it up once the page is answered; as a
    scheduler worker (``loop``) it also starts each page, else the caller does (``lockstep``)."""

    def __init__(self, env: Env, count: int, *, auto_start: bool) -> None:
        self.env = env
        self.count = count
        self.auto_start = auto_start
        self.runs: list[PageRun] = []
        self.done = asyncio.Event()
        self.state = "idle"
        self.message_id = 0
        self.page_id = 0
        self.started_at = START
        self.start_wall = (0.0, 0.0)
        self.calls_before = 0
        self.creations_before = 0
        self.ticks_before = 0
        self.ticks = 0
        self.failure: str | None = None

    async def start(self) -> None:
        env = self.env
        self.message_id += 1
        self.started_at = env.clock.now()
        self.calls_before = len(env.sandbox.state.calls)
        self.creations_before = len(env.creations)
        self.ticks_before = len(env.ticks)
        pager = await env.store.get_user(ALICE)
        team = await env.store.teams.get("ops")
        assert pager is not None and team is not None
        began = time.perf_counter()
        refusal = await env.pages.start(
            "en", pager, team, chat_id=GROUP, message_id=self.message_id, reason="bench"
        )
        self.start_wall = (began, time.perf_counter())
        if refusal is not None:
            raise RuntimeError(f"page refused: {refusal}")
        query = select(pages_table.c.id).where(
            pages_table.c.chat_id == GROUP, pages_table.c.message_id == self.message_id
        )
        async with env.store.engine.connect() as conn:
            self.page_id = int((await conn.execute(query)).scalar_one())
        self.state = "paging"

    def page_calls(self) -> list[SimCall]:
        return list(self.env.sandbox.state.calls.values())[self.calls_before :]

    async def describe(self) -> str:
        """Where this page has got, for a run that stops."""
        page = await self.env.store.teams.page(self.page_id) if self.page_id else None
        made = [(c.created_at, c.finish_reason) for c in self.page_calls()]
        status = (page.status, page.log) if page else None
        return f"state {self.state}, page {self.page_id}: {status}; calls {made}"

    async def fail(self, why: str) -> None:
        self.failure = f"{why} ({await self.describe()})"
        self.done.set()
        raise RuntimeError(self.failure)

    async def tick(self) -> int:
        env = self.env
        self.ticks += 1
        if self.state == "idle" and self.auto_start:
            await self.start()
        elif self.state == "paging":
            made = self.page_calls()
            if len(made) == 3 and made[2].started_at is None:
                env.sandbox.state.answer(made[2].id)
            if len(made) >= 3 or self.ticks % 40 == 0:
                page = await env.store.teams.page(self.page_id)
                assert page is not None
                if page.status is not PageStatus.ACTIVE:
                    if page.status is not PageStatus.ANSWERED or page.answered_by != DAVE:
                        await self.fail(f"page ended {page.status.value}")
                    if len(made) != 3:
                        await self.fail(f"page placed {len(made)} calls")
                    env.sandbox.state.hangup(made[2].id)
                    self.state = "draining"
        elif self.state == "draining":
            query = select(func.count()).where(
                calls_table.c.page_id == self.page_id, calls_table.c.outcome.is_(None)
            )
            async with env.store.engine.connect() as conn:
                open_calls = int((await conn.execute(query)).scalar_one())
            if open_calls == 0:
                self.runs.append(await self.figures())
                self.state = "idle"
                if len(self.runs) == self.count:
                    self.state = "done"
                    self.done.set()
        return 0

    async def figures(self) -> PageRun:
        env = self.env
        made = self.page_calls()
        if len(made) != 3:
            raise RuntimeError(f"page {self.page_id} placed {len(made)} calls")
        ends: list[datetime] = [self.started_at]
        for call in made[:2]:
            assert call.finished_at is not None
            ends.append(call.finished_at)
        steps, work, telegram = [], [], []
        sleeps = env.clock.sleeps if isinstance(env.clock, SkipClock) else []
        ticks = env.ticks[self.ticks_before :]
        for k, call in enumerate(made):
            since, created = ends[k], call.created_at
            steps.append((created - since).total_seconds())
            telegram.append(
                sum(
                    1
                    for op in env.messenger.ops
                    if op.creations == self.creations_before + k and op.at >= since
                )
            )
            if isinstance(env.clock, SkipClock):
                asleep = sum(
                    max(
                        0.0,
                        (min(at + timedelta(seconds=s), created) - max(at, since)).total_seconds(),
                    )
                    for at, s in sleeps
                )
                work.append(steps[-1] - asleep)
                continue
            # Lockstep: the ticks from the end up to the POST that created the next call.
            posted = env.creations[self.creations_before + k]
            spent = 0.0
            if k == 0:
                spent += self.start_wall[1] - self.start_wall[0]
            for tick in ticks:
                if since <= tick.at <= created:
                    spent += (min(tick.ended, posted) - tick.began) if tick.began < posted else 0.0
            work.append(spent)
        reach = (made[2].created_at - self.started_at).total_seconds()
        reasons = [str(call.finish_reason) for call in made[:2]]
        query = select(calls_table.c.kavenegar_call_id, calls_table.c.finished_at).where(
            calls_table.c.page_id == self.page_id
        )
        async with env.store.engine.connect() as conn:
            recorded = {row.kavenegar_call_id: row.finished_at for row in await conn.execute(query)}
        seen = [(recorded[c.id] - ends[k + 1]).total_seconds() for k, c in enumerate(made[:2])]
        return PageRun(reach, steps, work, telegram, reasons, seen)


async def lockstep(workdir: Path) -> list[PageRun]:
    clock = ManualClock(START)
    async with environment(clock, workdir, "lockstep") as env:
        driver = Driver(env, PAGES + 1, auto_start=False)
        step = timedelta(seconds=STEP)
        grid = START
        began = time.perf_counter()
        while not driver.done.is_set():
            if time.perf_counter() - began > WALL_GUARD:
                raise RuntimeError(f"lockstep: out of time; {await driver.describe()}")
            if driver.state == "idle":
                # Start each page somewhere inside a step: 0, 0.05 ... 0.20 s after a tick.
                phase = STEP * (len(driver.runs) % PAGES) / PAGES
                clock.advance(phase)
                await driver.start()
                clock.advance((grid + step - clock.now()).total_seconds())
                grid += step
            tick_began = time.perf_counter()
            await env.scheduler.tick()
            env.ticks.append(Tick(clock.now(), tick_began, time.perf_counter()))
            await driver.tick()
            grid += step
            clock.advance((grid - clock.now()).total_seconds())
        return driver.runs[1:]


async def loop(
    workdir: Path, *, kavenegar_rtt: float = 0.0, telegram_rtt: float = 0.0
) -> list[PageRun]:
    clock = SkipClock(START)
    name = f"loop-{kavenegar_rtt}-{telegram_rtt}"
    rtts = {"kavenegar_rtt": kavenegar_rtt, "telegram_rtt": telegram_rtt}
    async with environment(clock, workdir, name, **rtts) as env:
        driver = Driver(env, PAGES + 1, auto_start=True)
        env.scheduler.workers.append(driver)
        runner = asyncio.create_task(env.scheduler.run())
        try:
            await asyncio.wait_for(driver.done.wait(), WALL_GUARD)
        except TimeoutError:
            raise RuntimeError(f"{name}: out of time; {await driver.describe()}") from None
        finally:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        if driver.failure is not None:
            raise RuntimeError(driver.failure)
        return driver.runs[1:]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {max(values):.2f} s"


def report(name: str, runs: list[PageRun], work_label: str) -> None:
    print(f"\n{name}: {len(runs)} pages")
    print(
        f"{'page':>5} {'3rd rung':>9} {'/ floor':>8} {'page→1':>8} {'end 1→2':>8} "
        f"{'end 2→3':>8}   {work_label}, ms (page→1, 1→2, 2→3)   Telegram requests"
    )
    for n, run in enumerate(runs, 1):
        awake = ", ".join(f"{w * 1000:.1f}" for w in run.work)
        told = ", ".join(str(c) for c in run.telegram)
        print(
            f"{n:>5} {run.reach:>8.2f}s {run.reach / FLOOR:>8.3f} {run.steps[0]:>7.2f}s "
            f"{run.steps[1]:>7.2f}s {run.steps[2]:>7.2f}s   {awake}   {told}"
        )
        if run.reasons != ["no_one_connected", "no_one_connected"]:
            print(f"       the first two calls ended as {run.reasons}", file=sys.stderr)
    reach = [r.reach for r in runs]
    between = [s for r in runs for s in r.steps[1:]]
    seen = [s for r in runs for s in r.seen]
    acted = [r.steps[k + 1] - r.seen[k] for r in runs for k in range(2)]
    work = [w for r in runs for w in r.work[1:]]
    first = [r.steps[0] for r in runs]
    requests = sorted({c for r in runs for c in r.telegram[1:]})
    print(
        f"  third person rung after {spread(reach)} (median / max): "
        f"{statistics.median(reach) / FLOOR:.3f} / {max(reach) / FLOOR:.3f} of the "
        f"{FLOOR:.0f} s floor, {max(reach) - FLOOR:.2f} s over it at most "
        f"(3 steps × {GOAL:.0f} s allowed)"
    )
    print(
        f"  overhead per step (end of an attempt → next call), median / max: {spread(between)}"
        f" = {statistics.median(between) / GOAL:.3f} / {max(between) / GOAL:.3f} of {GOAL:.0f} s"
    )
    print(
        f"    of which Kavenegar's end → the watcher records it: {spread(seen)}; "
        f"recorded → next call created: {spread(acted)}"
    )
    print(
        f"    {work_label}: {statistics.median(work) * 1000:.1f} / {max(work) * 1000:.1f} ms"
        f" = {statistics.median(work) / GOAL:.4f} / {max(work) / GOAL:.4f} of {GOAL:.0f} s"
    )
    print(
        f"  page → first call: {spread(first)}; Telegram requests on the way per step: "
        f"{', '.join(map(str, requests))}"
    )


async def main(workdir: Path) -> None:
    print(
        f"Team of 3, PAGE_RETRIES=0; calls 1 and 2 unanswered (Kavenegar ends them after "
        f"{CALL_WINDOW.total_seconds():.0f} s), call 3 answered; floor {FLOOR:.0f} s; "
        f"goal ≤ {GOAL:.0f} s of overhead per step; 1 warm-up page + {PAGES}"
    )
    began = time.perf_counter()
    runs = await lockstep(workdir)
    report(f"lockstep (ManualClock, a tick every {STEP} s)", runs, "wall work")
    print(f"  ({time.perf_counter() - began:.1f} s wall)")
    began = time.perf_counter()
    runs = await loop(workdir)
    report("loop (Scheduler.run, work in real time, sleeps skipped)", runs, "awake")
    print(f"  ({time.perf_counter() - began:.1f} s wall)")
    began = time.perf_counter()
    runs = await loop(workdir, kavenegar_rtt=KAVENEGAR_RTT, telegram_rtt=TELEGRAM_RTT)
    title = (
        f"loop with assumed round trips: Kavenegar {KAVENEGAR_RTT * 1000:.0f} ms, "
        f"Telegram {TELEGRAM_RTT * 1000:.0f} ms a request"
    )
    report(title, runs, "awake")
    print(f"  ({time.perf_counter() - began:.1f} s wall)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(Path(tmp)))
