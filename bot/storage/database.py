"""The engine the queries use: SQLAlchemy's, with SQLite's single writer taken in turn.

SQLite lets one connection write at a time; the others wait in its busy handler, which polls
with growing sleeps and is not first come, first served, so under a burst (90 updates at once)
an unlucky writer can wait past the busy timeout while later ones get in, and its update is
answered "unavailable". Within one process the writers therefore queue on an asyncio lock
(first come, first served, no polling) before they ask SQLite; waiting longer than the store's
timeout raises ``TimeoutError``, which the queries' guard turns into ``StoreUnavailable``.
PostgreSQL has row locks and needs none of this: its transactions go straight through.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["Database"]


class Database:
    """``begin()`` for a write transaction, ``connect()`` for reads, as on an ``AsyncEngine``."""

    def __init__(self, engine: AsyncEngine, *, wait: float) -> None:
        self.engine = engine
        self.wait = wait
        self._writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None

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
        try:
            async with asyncio.timeout(self.wait):
                await self._writer.acquire()
        except TimeoutError:
            raise TimeoutError("no turn to write within the store's timeout") from None
        try:
            async with self.engine.begin() as conn:
                yield conn
        finally:
            self._writer.release()

    async def dispose(self) -> None:
        await self.engine.dispose()
