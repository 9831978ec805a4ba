"""Tests on a moved clock: one :class:`ManualClock` drives the bot's schedules and the sandbox,
so a minute of ringing or a week of rotation takes milliseconds."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.clock import ManualClock

START = datetime(2026, 11, 30, 9, 0, 0)  # 12:30 in Tehran


@pytest.fixture
def clock() -> ManualClock:
    """The clock of the sandbox (``kv``) and of the bot, which the tests hand it; from a Monday."""
    return ManualClock(START)
