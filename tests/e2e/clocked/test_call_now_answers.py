"""Call now over both simulators: every press gets exactly one answer, also when the quota is
spent or the database fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.errors import StoreUnavailable
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, GROUP
from ..conftest import Bot, bot_running
from .test_oncall import CAROL, team_of_four
from .test_oncall_more import posts, press, reply


async def _bot(
    tg: TelegramSimulator, kv: KavenegarSandbox, url: str, clock: ManualClock, **extra: Any
) -> AsyncIterator[Bot]:
    async with bot_running(tg, kv, url, clock=clock, page_retries=0, **extra) as bot:
        await team_of_four(bot)
        yield bot


async def test_call_now_over_the_quota_is_answered(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    """CALLS_PER_MINUTE=1. Carol presses "Call Bob now" under two /oncall answers within a
    minute. What Carol sees on the second: the button spins and no alert ever comes (the answer
    text cannot be formatted: quota_minute without limit/wait)."""
    async for bot in _bot(tg, kv, sqlite_url, clock, calls_per_minute=1):
        one = reply(bot, await bot.say(ALICE, "/oncall ops", chat_id=GROUP))
        first = await press(bot, CAROL, one, "📞 Call Bob now")
        await bot.settle()
        two = reply(bot, await bot.say(ALICE, "/oncall ops", chat_id=GROUP))
        second = await press(bot, CAROL, two, "📞 Call Bob now")
        await bot.settle()
        assert bot.tg.answer_to(first["id"]) is not None
        assert len(posts(bot)) == 1
        answered = [a for a in bot.tg.callback_answers if a.callback_query_id == second["id"]]
        assert len(answered) == 1, "the over-quota press got no answer"


async def test_call_now_while_the_store_fails_gets_one_answer_and_no_call(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    sqlite_url: str,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database is down when Carol presses "Call Bob now": one alert, no paid call."""
    async for bot in _bot(tg, kv, sqlite_url, clock):
        one = reply(bot, await bot.say(ALICE, "/oncall ops", chat_id=GROUP))

        async def down(*_: Any, **__: Any) -> Any:
            raise StoreUnavailable("down")

        monkeypatch.setattr(bot.services.store.teams, "by_id", down)
        pressed = await press(bot, CAROL, one, "📞 Call Bob now")
        await bot.settle()
        answered = [a for a in bot.tg.callback_answers if a.callback_query_id == pressed["id"]]
        assert len(answered) == 1, answered
        assert len(posts(bot)) == 0
        monkeypatch.undo()


async def test_call_now_store_fails_at_the_claim(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    sqlite_url: str,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database fails as the call is claimed: one alert, no paid call; once it is back the
    same button calls once."""
    async for bot in _bot(tg, kv, sqlite_url, clock):
        one = reply(bot, await bot.say(ALICE, "/oncall ops", chat_id=GROUP))
        store = bot.services.store

        async def down(*_: Any, **__: Any) -> Any:
            raise StoreUnavailable("down")

        monkeypatch.setattr(store, "claim_call", down)
        pressed = await press(bot, CAROL, one, "📞 Call Bob now")
        await bot.settle()
        answered = [a for a in bot.tg.callback_answers if a.callback_query_id == pressed["id"]]
        assert len(answered) == 1, answered
        assert len(posts(bot)) == 0
        monkeypatch.undo()
        again = await press(bot, CAROL, one, "📞 Call Bob now")
        await bot.settle()
        assert bot.tg.answer_to(again["id"]) is not None
        assert len(posts(bot)) == 1
