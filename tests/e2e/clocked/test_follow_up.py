"""Issue 9 end to end: the real bot over both simulators follows each call to its end.

The bot's clock and the sandbox's are one :class:`ManualClock`, moved by the tests; the
watcher wakes whenever it moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.records import CallOutcome
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, GROUP, visible
from ..conftest import Bot, bot_running


@pytest.fixture
async def followed(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    async with bot_running(tg, kv, sqlite_url, clock=clock) as bot:
        await bot.onboard_pair()
        yield bot


async def wait_closed(
    bot: Bot, clock: ManualClock, *, step: float = 2.0, edits: bool = True
) -> Any:
    """Move the clock until the bot has closed the latest call and (``edits``) edited every
    message the announcement edits."""
    for _ in range(600):
        records = await bot.services.store.list_calls()
        if records and records[-1].outcome is not None:
            record = records[-1]
            if edits:
                await bot.tg.wait_until(partial(_announced, bot, record), what="the announcement")
            await bot.settle()
            return record
        clock.advance(step)
        await asyncio.sleep(0.01)  # the scheduler wakes on the clock and takes its turn
    raise AssertionError("the call never closed")


def _announced(bot: Bot, record: Any) -> bool:
    """Every message the announcement edits was edited (or deleted, or sent anew)."""
    targets = [
        (record.chat_id, record.notice_message_id),
        (record.caller_id, record.caller_message_id),
        (record.callee_id, record.callee_message_id),
    ]
    for chat_id, message_id in targets:
        if message_id is None:
            continue
        try:
            if not bot.tg.current(chat_id, message_id).edited:
                return False
        except AssertionError:  # deleted
            continue
    return True


def reads(bot: Bot, chat_id: int, message_id: int | None) -> str:
    assert message_id is not None
    return visible(bot.tg.current(chat_id, message_id).text)


async def test_the_group_notice_becomes_the_outcome_and_tokens_are_withdrawn(
    followed: Bot, clock: ManualClock
) -> None:
    await followed.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = followed.kv.state.calls.values()
    tokens = [call.caller.access_token, call.receptor.access_token]
    followed.kv.state.answer(call.id)
    clock.advance(192)
    followed.kv.state.hangup(call.id)
    record = await wait_closed(followed, clock)
    assert record.outcome is CallOutcome.ANSWERED
    assert (
        reads(followed, GROUP, record.notice_message_id) == "✅ Alice called Bob: talked for 3:12."
    )
    edits = [p for p in followed.tg.calls_of("editMessageText") if p["chat_id"] == GROUP]
    assert len(edits) == 1  # edited in place, once
    for person, message_id in ((ALICE, record.caller_message_id), (BOB, record.callee_message_id)):
        now = followed.tg.current(person, message_id)
        assert "talked for 3:12" in visible(now.text)
        assert all(token not in now.text and token not in now.raw_text for token in tokens)
    latest = [m for chat in (ALICE, BOB, GROUP) for m in followed.tg.current_in(chat)]
    assert not [m for m in latest if any(token in m.raw_text for token in tokens)]


async def test_a_missed_private_call_offers_call_again_once(
    followed: Bot, clock: ManualClock
) -> None:
    await followed.say(ALICE, "/call @bob_k")  # in the private chat
    record = await wait_closed(followed, clock, step=10)
    assert record.outcome is CallOutcome.MISSED
    caller_message = followed.tg.current(ALICE, record.caller_message_id)
    assert "📵 Alice called Bob: missed." in visible(caller_message.text)
    assert caller_message.callback_buttons == [("Call again", f"again:{record.id}")]
    # Bob's copy of Alice's button (forged in his own chat) and unknown data do nothing
    query = await followed.tg.press_button(
        BOB, BOB, record.callee_message_id, data=f"again:{record.id}"
    )
    await followed.settle()
    answer = followed.tg.answer_to(query["id"])
    assert answer is not None and answer.show_alert
    forged = await followed.tg.press_button(
        ALICE, ALICE, record.caller_message_id, data="again:99999"
    )
    await followed.settle()
    assert followed.tg.answer_to(forged["id"]).show_alert  # type: ignore[union-attr]
    assert len(followed.kv.state.calls) == 1
    # Alice presses twice: one new call
    for _ in range(2):
        await followed.tg.press_button(ALICE, ALICE, record.caller_message_id, text="Call again")
    await followed.settle()
    assert len(followed.kv.state.calls) == 2
    assert "You are calling Bob" in followed.last_text(ALICE)
    assert "Alice is calling you" in followed.last_text(BOB)


async def test_call_again_after_the_caller_was_denied_places_nothing(
    followed: Bot, clock: ManualClock
) -> None:
    """Issue 18 item 1 end to end: the press passes /call's rules at the moment it is pressed;
    the alert says why, as plain text within Telegram's 200 characters."""
    await followed.say(ALICE, "/call @bob_k")
    record = await wait_closed(followed, clock, step=10)
    assert record.outcome is CallOutcome.MISSED
    await followed.services.access.set_rule("user", ALICE, False, changed_by=BOB)
    query = await followed.tg.press_button(
        ALICE, ALICE, record.caller_message_id, text="Call again"
    )
    await followed.settle()
    answer = followed.tg.answer_to(query["id"])
    assert answer is not None and answer.show_alert
    assert answer.text is not None and answer.text.startswith("Sorry, this bot is only for")
    assert "<code>" not in answer.text and str(ALICE) in answer.text
    assert len(followed.kv.state.calls) == 1  # nothing paid


async def test_the_watcher_resumes_after_a_restart(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> None:
    """Issue 9 item 2: the calls being followed live in the database, not in memory."""
    async with bot_running(tg, kv, db_url, clock=clock) as first:
        await first.onboard_pair()
        await first.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = kv.state.calls.values()
    kv.state.finish(call.id, "rejected")  # it ends while the bot is down
    async with bot_running(tg, kv, db_url, clock=clock) as second:
        record = await wait_closed(second, clock)
        assert record.outcome is CallOutcome.DECLINED
        assert reads(second, GROUP, record.notice_message_id) == "🚫 Alice called Bob: declined."


async def test_a_deleted_notice_is_sent_again_and_a_deleted_token_message_is_no_error(
    followed: Bot, clock: ManualClock
) -> None:
    await followed.say(ALICE, "/call @bob_k", chat_id=GROUP)
    record = (await followed.services.store.list_calls())[-1]
    await followed.app.bot.delete_message(GROUP, record.notice_message_id)
    await followed.app.bot.delete_message(BOB, record.callee_message_id)
    await followed.tg.block(ALICE)  # the caller blocks the bot mid-call
    await wait_closed(followed, clock, step=10, edits=False)
    await followed.tg.wait_until(
        lambda: (
            [visible(m.text) for m in followed.tg.sent_to(GROUP)]
            == ["📵 Alice called Bob: missed."]
        ),
        what="the outcome, sent anew",
    )


async def test_ring_first_answer_decline_and_time_out(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    """Issue 9 item 6 over both simulators."""
    async with bot_running(tg, kv, sqlite_url, clock=clock, call_flow="ring") as bot:
        await bot.onboard_pair()
        # answered: one POST, both tokens
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        assert bot.last_text(GROUP) == "📞 Alice is ringing Bob…"
        assert kv.requests == []
        ring = bot.last(BOB)
        assert [t for t, _ in ring.callback_buttons] == ["Answer", "Decline"]
        await tg.press_button(BOB, BOB, ring.message_id, text="Answer")
        await bot.settle()
        assert len(kv.state.calls) == 1
        assert "Alice is calling you" in bot.last_text(BOB)
        assert "You are calling Bob" in bot.last_text(ALICE)
        # declined: no POST
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        ring = bot.last(BOB)
        await tg.press_button(BOB, BOB, ring.message_id, text="Decline")
        await bot.settle()
        assert bot.last_text(GROUP) == "🚫 Alice rang Bob: declined."
        # no answer: missed after RING_TIMEOUT, the buttons go, a late press does nothing
        await bot.say(ALICE, "/call @bob_k")
        ring = bot.last(BOB)
        clock.advance(61)
        await tg.wait_until(
            lambda: not tg.current(BOB, ring.message_id).callback_buttons, what="the ring to end"
        )
        assert "📵" in visible(tg.current(BOB, ring.message_id).text)
        late = await tg.press_button(BOB, BOB, ring.message_id, data=ring.callback_buttons[0][1])
        await bot.settle()
        assert tg.answer_to(late["id"]).show_alert  # type: ignore[union-attr]
        assert len(kv.state.calls) == 1


async def test_history_and_stats(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    async with bot_running(tg, kv, sqlite_url, clock=clock, admin_user_ids=str(ALICE)) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        (call,) = kv.state.calls.values()
        kv.state.answer(call.id)
        clock.advance(75)
        kv.state.hangup(call.id)
        await wait_closed(bot, clock)
        await bot.say(BOB, "/history")
        history = bot.last_text(BOB)
        assert history.startswith("Your last calls")
        assert "← Alice: answered, 1:15" in history
        await bot.say(BOB, "/history", chat_id=GROUP)
        assert "private" in bot.last_text(GROUP)
        await bot.say(ALICE, "/stats")
        stats = bot.last_text(ALICE)
        assert "Placed: 1" in stats and "Answered: 1 (100%)" in stats
        await bot.say(BOB, "/stats")
        assert bot.last_text(BOB) == "Only the bot's admins can do that."


@pytest.mark.postgres
async def test_two_replicas_announce_each_outcome_once(
    tg: TelegramSimulator, kv: KavenegarSandbox, postgres_url: str, clock: ManualClock
) -> None:
    """Issue 9 item 2: two replicas on one PostgreSQL database each run a watcher; every
    call is followed under one lease and its outcome is announced exactly once."""
    url = postgres_url
    async with (
        bot_running(tg, kv, url, clock=clock) as one,
        bot_running(tg, kv, url, clock=clock) as two,
    ):
        await one.onboard_pair()
        await one.onboard(4003, "Carol", "carol_k")
        for caller in (ALICE, 4003):
            await one.say(caller, "/call @bob_k", chat_id=GROUP)
            await two.settle()
        assert len(kv.state.calls) == 2
        for call in kv.state.calls.values():
            kv.state.finish(call.id, "rejected")
        for _ in range(20):
            clock.advance(2)
            await asyncio.sleep(0.05)  # let both watchers take their turn
            records = await one.services.store.list_calls()
            if all(r.outcome for r in records) and len(tg.calls_of("editMessageText")) >= 6:
                break
        await one.settle()
        await two.settle()
        records = await one.services.store.list_calls()
        assert {r.outcome for r in records} == {CallOutcome.DECLINED}
        notices = [p for p in tg.calls_of("editMessageText") if p["chat_id"] == GROUP]
        assert sorted(p["message_id"] for p in notices) == sorted(
            r.notice_message_id or 0 for r in records
        )
        assert one.services.watcher.polls + two.services.watcher.polls >= 2


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        ("window", "📵 Alice called Bob: missed."),
        ("rejected", "🚫 Alice called Bob: declined."),
        ("caller_only", "⚠️ Alice called Bob: unreachable."),
        ("busy", "☎️ Alice called Bob: ended (busy)."),
        ("forgotten", "Kavenegar no longer knows this call"),
        ("never", "the call never reported an end, so I stopped following it"),
    ],
)
async def test_every_outcome_reaches_the_group(
    followed: Bot, clock: ManualClock, ending: str, expected: str
) -> None:
    """Issue 9 item 3, each wording over both simulators."""
    await followed.say(ALICE, "/call @bob_k 1m", chat_id=GROUP)
    (call,) = followed.kv.state.calls.values()
    state = followed.kv.state
    if ending == "caller_only":
        state.join(call.id, "caller")
    elif ending == "forgotten":
        state.calls.clear()
    elif ending == "never":
        state.answer(call.id)
        call.max_duration = None  # Kavenegar never ends it
    elif ending != "window":
        state.finish(call.id, ending)
    record = await wait_closed(followed, clock, step=30)
    assert expected in reads(followed, GROUP, record.notice_message_id)
