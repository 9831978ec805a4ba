"""The calls' worlds: ``direct`` (CALL_FLOW=direct) and ``ringing`` (CALL_FLOW=ring), on SQLite
and the moved clock (a module may define its own of either name)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.clock import ManualClock
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from .presses import worlds


@pytest.fixture
async def direct(sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock) -> AsyncIterator[World]:
    async for made in worlds(sqlite_url, kv, clock):
        yield made


@pytest.fixture
async def ringing(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[World]:
    async for made in worlds(sqlite_url, kv, clock, call_flow="ring"):
        yield made
