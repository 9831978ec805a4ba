"""The one loop that does what is due: follow calls, end rings, escalate pages, hand over.

Each worker leases its due rows, so several replicas share the work and a restart resumes it.
Sleeping uses the injectable clock, so tests move time instead of waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable

__all__ = ["Scheduler", "Worker"]

logger = logging.getLogger(__name__)


class Worker(Protocol):
    async def tick(self) -> int:
        """Do what is due now; how many items were handled."""
        ...


class Scheduler:
    def __init__(self, workers: Sequence[Worker], clock: Clock, *, idle: float = 0.5) -> None:
        self.workers = list(workers)
        self.clock = clock
        self.idle = idle

    async def tick(self) -> int:
        done = 0
        for worker in self.workers:
            try:
                done += await worker.tick()
            except StoreUnavailable as exc:
                logger.warning("%s: storage unavailable (%s); retrying", type(worker).__name__, exc)
            except Exception:
                logger.exception("%s failed; retrying", type(worker).__name__)
        return done

    async def run(self) -> None:
        """Work until cancelled."""
        while True:
            await self.tick()
            await self.clock.sleep(self.idle)
