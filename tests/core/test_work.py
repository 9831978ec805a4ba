"""The one leased-worker loop: a step that outlasts its short lease keeps it, and lets go."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import ClassVar

from bot.core.clock import ManualClock
from bot.core.errors import StoreUnavailable
from bot.core.work import LeasedWorker

START = datetime(2026, 12, 7, 9, 0)


class Slow(LeasedWorker[int]):
    """One row; its step waits until the test lets it finish; renewals are recorded."""

    LEASE = timedelta(seconds=12)
    BATCH = 1
    RENEWS: ClassVar[bool] = True

    def __init__(self, clock: ManualClock, *, keep: bool = True) -> None:
        self.clock, self.owner = clock, "me"
        self.renewed: list[datetime] = []
        self.keep = keep
        self.fail_next = False
        self.release = asyncio.Event()

    async def claim(self, now: datetime, limit: int) -> list[int]:
        return [1]

    def describe(self, row: int) -> str:
        return f"row {row}"

    async def step(self, row: int, now: datetime) -> None:
        await self.release.wait()

    async def renew(self, row: int, until: datetime) -> bool:
        if self.fail_next:
            self.fail_next = False
            raise StoreUnavailable("locked")
        self.renewed.append(until)
        return self.keep


async def turn() -> None:
    """Let every task that can run, run (a woken sleeper takes a few loop turns)."""
    for _ in range(30):
        await asyncio.sleep(0)


async def test_a_slow_step_renews_its_lease_every_quarter_until_it_is_over() -> None:
    clock = ManualClock(START)
    worker = Slow(clock)
    ticking = asyncio.create_task(worker.tick())
    await turn()
    for _ in range(3):
        clock.advance(3)  # a quarter of 12 s
        await turn()
    assert worker.renewed == [START + timedelta(seconds=3 * n + 12) for n in (1, 2, 3)]
    worker.fail_next = True  # a store that fails one renewal: tried again at the next quarter
    clock.advance(3)
    await turn()
    clock.advance(3)
    await turn()
    assert worker.renewed[-1] == START + timedelta(seconds=15 + 12)
    worker.release.set()
    assert await ticking == 1
    before = len(worker.renewed)
    clock.advance(30)
    await turn()
    assert len(worker.renewed) == before  # over with its step


async def test_renewing_stops_once_the_row_is_no_longer_this_replicas() -> None:
    clock = ManualClock(START)
    worker = Slow(clock, keep=False)
    ticking = asyncio.create_task(worker.tick())
    await turn()
    for _ in range(4):
        clock.advance(3)
        await turn()
    assert len(worker.renewed) == 1  # lost at the first renewal: not asked again
    worker.release.set()
    await ticking
