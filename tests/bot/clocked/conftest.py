"""Tests on a moved clock: one :class:`ManualClock` drives the bot's schedules and the sandbox,
so a minute of ringing or a week of rotation takes milliseconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.core.clock import ManualClock
from kavenegar.sandbox import KavenegarSandbox, SandboxClock

from ..conftest import KV_TOKEN

START = datetime(2026, 11, 30, 9, 0, 0)  # 12:30 in Tehran


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def kv(clock: ManualClock) -> AsyncIterator[KavenegarSandbox]:
    """The sandbox on the bot's clock (overrides the fixed-time one)."""
    async with KavenegarSandbox(api_token=KV_TOKEN, clock=SandboxClock(now=clock.now)) as box:
        yield box


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, db_url: str) -> str:
    """A fresh database on SQLite, then on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return db_url
    return str(request.getfixturevalue("migrated_postgres_url"))
