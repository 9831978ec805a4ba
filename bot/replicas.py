"""Replicas share Telegram's bot-wide budget: each counts the live ones and keeps to its share.

Telegram's 30 messages a second are counted per bot, not per process, so N webhook replicas
each pacing at 30 would send up to N × 30. Every :data:`CENSUS_EVERY` seconds each replica
writes its sign of life (a row in ``replicas``) and reads how many replicas were seen within two
periods; its pacer then keeps to ``30 // N`` a second (:meth:`bot.pacing.Pacer.share`). A
replica that stops removes its row, so the others take its share back at their next census; one
that dies is counted for two periods more (its share stays unused meanwhile, never overspent).

When a replica joins, the others learn of it at their next census, so for up to
:data:`CENSUS_EVERY` seconds the replicas together may send more than the bot-wide rate; a 429
that follows is honoured for its chat as any other. The census is a row in the database, like
every other piece of shared state, so nothing beyond the database is needed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from .clock import Clock
from .pacing import Pacer
from .storage import Store

__all__ = ["CENSUS_EVERY", "ReplicaCensus"]

logger = logging.getLogger(__name__)

#: Seconds between two censuses of one replica.
CENSUS_EVERY = 5.0


class ReplicaCensus:
    """A scheduler worker: the live replicas counted, and this one's pacer given its share."""

    def __init__(self, store: Store, pacer: Pacer | None, clock: Clock, *, owner: str) -> None:
        self.store = store
        self.pacer = pacer
        self.clock = clock
        self.owner = owner
        #: The replicas seen at the last census (1 until the first).
        self.replicas = 1
        self._next: datetime | None = None

    async def tick(self) -> int:
        now = self.clock.now()
        if self._next is not None and now < self._next:
            return 0
        self._next = now + timedelta(seconds=CENSUS_EVERY)
        replicas = await self.store.replica_census(
            self.owner, now=now, period=timedelta(seconds=CENSUS_EVERY)
        )
        if replicas != self.replicas:
            logger.info("%d replicas send for this bot; this one keeps to its share", replicas)
        self.replicas = replicas
        if self.pacer is not None:
            self.pacer.share(replicas)
        return 0

    async def leave(self) -> None:
        """This replica stops: its share goes back to the others at their next census."""
        await self.store.replica_left(self.owner)
