"""Replicas share Telegram's bot-wide budget: each counts the live ones and keeps to its share.

Telegram's 30 messages a second are counted per bot, not per process, so N webhook replicas
each pacing at 30 would send up to N × 30. Every :data:`CENSUS_EVERY` seconds each replica
beats (adds one to its counter in a row of ``replicas``) and reads everyone's counters; a
replica whose counter moved within :data:`DEAD_AFTER` censuses, as this replica's own monotonic
clock measures it, is alive. Its pacer then keeps to ``30 // N`` a second
(:meth:`bot.telegram.pacing.Pacer.share`). Counters, not timestamps: replicas' clocks may disagree,
and
a test's clock may jump hours; only each observer's own elapsed time is used.

- A replica seen for the first time counts as alive (a row left by a crash counts for
  :data:`DEAD_AFTER` censuses, then not, and is deleted after :data:`FORGET_AFTER`).
- A replica that stops deletes its row once its last updates are answered (the runtime stops
  the census after the update processor); the others take its share back at their next census.
- The census runs in a task of its own, not in the scheduler's round, so a slow round (a
  Kavenegar timeout, a message waiting for its turn) never makes a live replica look dead.
- While the database cannot be read, the last count holds; if no census has succeeded yet, or
  none for :data:`DEAD_AFTER` censuses, the replica assumes one replica more than it last knew.

What this does not cover: for up to :data:`CENSUS_EVERY` seconds after a replica joins, the
others do not know of it yet (a replica on an older release, which writes no row, is never
counted); chats' own windows stay per replica. A 429 in those cases is honoured for its chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.core.errors import StoreUnavailable
from bot.storage import Store
from bot.telegram.pacing import Pacer

__all__ = ["CENSUS_EVERY", "DEAD_AFTER", "FORGET_AFTER", "ReplicaCensus"]

logger = logging.getLogger(__name__)

#: Seconds between two censuses of one replica.
CENSUS_EVERY = 5.0
#: Censuses after which a replica whose counter did not move counts as gone.
DEAD_AFTER = 3
#: Censuses after which its row is deleted.
FORGET_AFTER = 12


class ReplicaCensus:
    """Counts the live replicas and gives this one's pacer its share; see the module docstring.

    ``clock``: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        store: Store,
        pacer: Pacer | None,
        *,
        owner: str,
        every: float = CENSUS_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.pacer = pacer
        self.owner = owner
        self.every = every
        self.clock = clock
        #: The replicas counted at the last census that succeeded.
        self.replicas = 1
        #: The replicas this one shares the budget with now (one more than counted when unsure).
        self.shared = 1
        #: Each other replica's counter and when (this clock) it was last seen to move.
        self._moved: dict[str, tuple[int, float]] = {}
        self._started = clock()
        self._succeeded: float | None = None
        self._task: asyncio.Task[None] | None = None

    async def census(self) -> int:
        """One round: beat, count the live replicas, share. How many pace for the bot now."""
        now = self.clock()
        try:
            beats = await self.store.replica_beat(self.owner)
        except StoreUnavailable as exc:
            since = self._started if self._succeeded is None else self._succeeded
            if now - since >= DEAD_AFTER * self.every or self._succeeded is None:
                self._share(self.replicas + 1)  # unsure: one more than last known
            logger.warning("replica census: storage unavailable (%s)", exc)
            return self.shared
        self._succeeded = now
        alive = 1  # this one
        for owner, beat in beats.items():
            if owner == self.owner:
                continue
            seen = self._moved.get(owner)
            if seen is None or seen[0] != beat:
                self._moved[owner] = (beat, now)
                alive += 1
            elif now - seen[1] < DEAD_AFTER * self.every:
                alive += 1
            elif now - seen[1] >= FORGET_AFTER * self.every:
                await self.store.forget_replica(owner, beat)
                del self._moved[owner]  # should it beat again, its counter starts over
        for owner in set(self._moved) - set(beats):
            del self._moved[owner]  # it left (or was forgotten)
        if alive != self.replicas:
            logger.info("%d replicas send for this bot; this one keeps to its share", alive)
        self.replicas = alive
        self._share(alive)
        return alive

    def start(self) -> None:
        """Take a census every :attr:`every` seconds, in a task of its own."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="census")

    async def stop(self) -> None:
        """No more censuses; this replica's row is deleted (its share goes to the others)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.store.replica_left(self.owner)
        except Exception as exc:  # best effort: a stopping replica must stop
            logger.warning(
                "could not say that this replica stops (%s); the others count it out within %.0f s",
                type(exc).__name__,
                DEAD_AFTER * self.every,
            )

    async def _run(self) -> None:
        while True:
            try:
                await self.census()
            except Exception:
                logger.exception("replica census failed; trying again")
            await asyncio.sleep(self.every)

    def _share(self, replicas: int) -> None:
        self.shared = replicas
        if self.pacer is not None:
            self.pacer.share(replicas)
