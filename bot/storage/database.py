"""The engine the queries use: SQLAlchemy's, with SQLite's single writer taken in turn.

SQLite lets one connection write at a time; the others wait in its busy handler, which polls
with growing sleeps and is not first come, first served, so under a burst (90 updates at once)
an unlucky writer can wait past the busy timeout while later ones get in, and its update is
answered "unavailable". Within one process the writers therefore queue on an asyncio lock
(first come, first served, no polling) before they ask SQLite; waiting longer than the store's
timeout raises ``TimeoutError``, which the queries' guard turns into ``StoreUnavailable``.
PostgreSQL has row locks and needs none of this: its transactions go straight through.

Two ways to run queries:

- ``begin()`` and ``connect()`` give an ``AsyncConnection``, as on an ``AsyncEngine``: every
  ``await conn.execute(...)`` is a round trip to the driver (aiosqlite's thread, or
  PostgreSQL).
- :meth:`Database.read` and :meth:`Database.write` run a plain function over a synchronous
  ``Connection``: the whole transaction at once. On an SQLite file that is one hop to a worker
  thread with the standard library's driver, where aiosqlite takes four or five per statement
  (cursor, execute, fetch, close, then commit and the pool's reset), each a wake-up of another
  thread: a ``/call``'s claim (three statements) costs 0.5 ms instead of 2.5 (measured, with
  its statements built once, as :mod:`bot.storage.store` keeps those of the hot path). Elsewhere
  (PostgreSQL, an in-memory SQLite database, which a second engine could not see) the function
  runs through SQLAlchemy's ``run_sync`` on the async engine, with the same meaning. The hot
  path of an update (taking it, refreshing its sender, the access rules, a ``/call``'s reads
  and claim) uses these; the rest may move over as it is touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["Database"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: Worker threads for the synchronous SQLite engine: one writer at a time, readers beside it.
SQLITE_THREADS = 4


class Database:
    """``begin()`` for a write transaction, ``connect()`` for reads, as on an ``AsyncEngine``;
    ``read(fn)`` and ``write(fn)`` to run a whole unit of work in one go.

    ``sync_engine``: a synchronous engine on the same SQLite file, for :meth:`read` and
    :meth:`write` (None: they go through the async engine).
    """

    def __init__(
        self, engine: AsyncEngine, *, wait: float, sync_engine: Engine | None = None
    ) -> None:
        self.engine = engine
        self.wait = wait
        self._writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._sync = sync_engine
        self._threads = (
            ThreadPoolExecutor(SQLITE_THREADS, thread_name_prefix="sqlite")
            if sync_engine is not None
            else None
        )
        self._closed = False

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    def connect(self) -> AsyncConnection:
        return self.engine.connect()

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        if self._writer is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        await self._take_turn()
        try:
            async with self.engine.begin() as conn:
                yield conn
        finally:
            self._writer.release()

    async def read(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` on a connection of its own, outside any write transaction."""
        if self._sync is None:
            async with self.engine.connect() as conn:
                return await conn.run_sync(work)
        sync = self._sync

        def run() -> T:
            with sync.connect() as conn:
                return work(conn)

        return await asyncio.get_running_loop().run_in_executor(self._open_threads(), run)

    async def write(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one transaction, committed when it returns, rolled back if it
        raises.

        A caller cancelled meanwhile: on an SQLite file the thread's transaction runs to its end
        and commits (SQLite's turn to write is handed on only then), as if the process had
        stopped just after it; through ``run_sync`` the transaction is rolled back. Callers
        treat both like a stop at that point (a claimed call left ``pending`` is followed up as
        any other).
        """
        if self._sync is None:
            async with self.begin() as conn:
                return await conn.run_sync(work)
        sync, writer = self._sync, self._writer
        assert writer is not None

        def run() -> T:
            with sync.begin() as conn:
                return work(conn)

        await self._take_turn()
        try:
            future = asyncio.get_running_loop().run_in_executor(self._open_threads(), run)
        except BaseException:
            writer.release()
            raise
        try:
            return await asyncio.shield(future)
        finally:
            if future.done():
                writer.release()
            else:  # cancelled while the thread writes: the turn ends with the transaction
                future.add_done_callback(lambda done: _abandoned(done, writer))

    async def _take_turn(self) -> None:
        assert self._writer is not None
        try:
            async with asyncio.timeout(self.wait):
                await self._writer.acquire()
        except TimeoutError:
            raise TimeoutError("no turn to write within the store's timeout") from None

    def _open_threads(self) -> ThreadPoolExecutor:
        if self._threads is None or self._closed:
            # an OSError, so that the store's guard makes it StoreUnavailable
            raise ConnectionError("the store is closed")
        return self._threads

    async def dispose(self) -> None:
        """Close every connection; work already handed to a thread finishes first (waited for
        off the event loop)."""
        self._closed = True
        await self.engine.dispose()
        if self._sync is not None and self._threads is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, functools.partial(self._threads.shutdown, wait=True))
            self._sync.dispose()


def _abandoned(done: asyncio.Future[Any], writer: asyncio.Lock) -> None:
    """The end of a write whose caller had left: hand the turn on, and say if it failed."""
    writer.release()
    if not done.cancelled() and done.exception() is not None:
        logger.warning("a write whose caller had left failed: %r", done.exception())
