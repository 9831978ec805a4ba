"""The one loop that does what is due: follow calls, end rings, escalate pages, hand over.

Each worker leases its due rows, so several replicas share the work and a restart resumes it.
A :class:`LeasedWorker` declares how long its lease lasts (``LEASE``, once per worker) and how
many rows one tick takes (``BATCH``), and says how to claim due rows and how to take one step
on a row; :meth:`LeasedWorker.tick` is the loop they share: claim, then one step per row, a row
whose step finds the store unavailable logged and left to its lapsing lease (it is due again
then), the other rows going on. Sleeping uses the injectable clock, so tests move time instead
of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable

__all__ = ["LeasedWorker", "Scheduler", "Worker", "pause"]

logger = logging.getLogger(__name__)

Row = TypeVar("Row")


async def pause(clock: Clock, seconds: float, stop: asyncio.Event) -> bool:
    """Wait ``seconds`` of ``clock``'s time, or until ``stop`` is set; True if it was.

    The loops that keep a lease while other work runs end this way, between two of their
    database calls, never in the middle of one (a query cancelled mid-flight may finish on its
    thread after its event loop is gone)."""
    if stop.is_set():
        return True
    sleeping = asyncio.ensure_future(clock.sleep(seconds))
    stopping = asyncio.ensure_future(stop.wait())
    _, pending = await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.wait(pending)
    return stop.is_set()


class Worker(Protocol):
    async def tick(self) -> int:
        """Do what is due now; how many items were handled."""
        ...


class LeasedWorker(ABC, Generic[Row]):
    """Work on rows that are due, each leased to this replica (``owner``) while it is worked on.

    A subclass declares ``LEASE`` (how long a claimed row stays this replica's: a step that may
    take longer renews it) and ``BATCH`` (the most rows one tick claims), and implements
    :meth:`claim`, :meth:`step` and :meth:`describe`.
    """

    #: How long a claimed row stays this replica's before another may take it over.
    LEASE: ClassVar[timedelta]
    #: The most rows one tick claims (a worker with a budget overrides :meth:`batch` instead).
    BATCH: ClassVar[int]
    #: Step the claimed rows side by side (True) or one after another, in claimed order.
    CONCURRENT: ClassVar[bool] = False
    #: Said after "storage unavailable" when a row's step finds the store down.
    UNAVAILABLE_NOTE: ClassVar[str] = ""
    #: Keep the lease while a step works (every quarter of ``LEASE``, see :meth:`renew`), so a
    #: short lease lapses only when this replica stops, however long a step takes.
    RENEWS: ClassVar[bool] = False

    #: This replica's name in every lease it takes.
    owner: str
    clock: Clock
    #: Told of each step that found the store unavailable (the worker's name), for the metrics.
    on_unavailable: Callable[[str], None] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(getattr(cls, "LEASE", None), timedelta):
            raise TypeError(f"{cls.__name__} declares no LEASE (a timedelta)")

    def batch(self, now: datetime) -> int:
        """How many rows to claim now."""
        return self.BATCH

    @abstractmethod
    async def claim(self, now: datetime, limit: int) -> Sequence[Row]:
        """Lease up to ``limit`` rows due at ``now`` to :attr:`owner` for :attr:`LEASE`."""

    @abstractmethod
    async def step(self, row: Row, now: datetime) -> None:
        """Take the next step on one claimed row (``now``: when it was claimed)."""

    @abstractmethod
    def describe(self, row: Row) -> str:
        """The row as the log names it ("page 7")."""

    async def renew(self, row: Row, until: datetime) -> bool:
        """Extend this replica's lease on ``row`` to ``until`` while a step works (workers with
        ``RENEWS``); False once the row is no longer this replica's (renewing then stops)."""
        raise NotImplementedError

    async def tick(self) -> int:
        """Claim what is due now and take a step on each; how many rows were claimed."""
        now = self.clock.now()
        due = await self.claim(now, self.batch(now))
        if not due:
            return 0
        if self.CONCURRENT:
            await asyncio.gather(*(self._step(row, now) for row in due))
        else:
            for row in due:
                await self._step(row, now)
        return len(due)

    async def _step(self, row: Row, now: datetime) -> None:
        done = asyncio.Event()
        renewing = asyncio.create_task(self._keep(row, done)) if self.RENEWS else None
        try:
            await self.step(row, now)
        except StoreUnavailable as exc:
            logging.getLogger(type(self).__module__).warning(
                "%s: storage unavailable (%s)%s", self.describe(row), exc, self.UNAVAILABLE_NOTE
            )
            if self.on_unavailable is not None:
                self.on_unavailable(type(self).__name__)
        finally:
            if renewing is not None:
                done.set()  # it stops between two renewals, not in the middle of one
                await asyncio.wait([renewing])

    async def _keep(self, row: Row, done: asyncio.Event) -> None:
        """Renew the lease on ``row`` every quarter of it until the step is over (cancelled)
        or the row is no longer this replica's; a store that fails a renewal is tried again
        at the next quarter (the lease may lapse meanwhile: another replica takes over)."""
        every = self.LEASE.total_seconds() / 4
        while not await pause(self.clock, every, done):
            try:
                if not await self.renew(row, self.clock.now() + self.LEASE):
                    return
            except StoreUnavailable as exc:
                logging.getLogger(type(self).__module__).warning(
                    "%s: its lease could not be renewed (%s)", self.describe(row), exc
                )


class Scheduler:
    def __init__(
        self,
        workers: Sequence[Worker],
        clock: Clock,
        *,
        idle: float = 0.5,
        on_unavailable: Callable[[str], None] | None = None,
    ) -> None:
        self.workers = list(workers)
        self.clock = clock
        self.idle = idle
        #: Told of each worker's round that found the store unavailable, for the metrics.
        self.on_unavailable = on_unavailable

    async def tick(self) -> int:
        done = 0
        for worker in self.workers:
            try:
                done += await worker.tick()
            except StoreUnavailable as exc:
                logger.warning("%s: storage unavailable (%s); retrying", type(worker).__name__, exc)
                if self.on_unavailable is not None:
                    self.on_unavailable(type(worker).__name__)
            except Exception:
                logger.exception("%s failed; retrying", type(worker).__name__)
        return done

    async def run(self) -> None:
        """Work until cancelled."""
        while True:
            await self.tick()
            await self.clock.sleep(self.idle)
