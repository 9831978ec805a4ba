"""Time, injectable: the bot's schedules read this clock, so tests move time instead of sleeping.

Times are naive UTC, as the database stores them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "unix_time", "utcnow"]


def utcnow() -> datetime:
    """Naive UTC: both SQLite and PostgreSQL ``timestamp`` columns store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def unix_time(moment: datetime) -> float:
    """``moment`` as a Unix time; a naive one (as :meth:`Clock.now` gives) is read as UTC.

    ``datetime.timestamp()`` reads a naive datetime as the host's LOCAL time: on a host whose
    time zone is not UTC it is off by the offset (Telegram's ``auth_date`` is a Unix time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, naive UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (or until it is moved past them)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to (tests, the demo); sleepers wake when it passes."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or SystemClock().now()
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._moved.set()
        self._moved = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        wake = self._now + timedelta(seconds=seconds)
        while self._now < wake:
            await self._moved.wait()
