"""Kavenegar and Telegram failures: a clear message to the right person, no crash, no lost
record, no duplicate call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, GROUP, free_port, quick_client, visible
from .conftest import Bot, bot_running


@pytest.fixture
async def quick_bot(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> AsyncIterator[Bot]:
    """A bot whose Kavenegar client gives up after a second, so a hang is quick to test."""
    async with (
        quick_client(kv) as client,
        bot_running(tg, kv, sqlite_url, kavenegar=client) as running,
    ):
        yield running


# The whole fault table runs against the call service (tests/calls); end to end, one
# certain failure, one where the call may exist, and one where no answer comes.
KAVENEGAR_FAULTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("400", {"status": 400, "body": {"status": "bad_request", "reasons": ["invalid_input"]}},
     "Kavenegar refused the call (invalid_input)", "failed"),
    ("created-then-504", {"status": 504, "body": "", "after": True}, "may or may not", "unknown"),
    ("hang", {"kind": "hang"}, "Kavenegar didn't answer in time", "unknown"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "expected", "status"),
    [pytest.param(f, e, s, id=name) for name, f, e, s in KAVENEGAR_FAULTS],
)
async def test_kavenegar_failures(
    quick_bot: Bot, fault: dict[str, Any], expected: str, status: str
) -> None:
    await quick_bot.onboard_pair()
    quick_bot.kv.add_fault(method="POST", path="/calls", times=None, **fault)
    await quick_bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    answer = quick_bot.last(GROUP)
    assert expected in visible(answer.text)
    posts = [r for r in quick_bot.kv.requests if r["method"] == "POST"]
    assert len(posts) == 1, "a paid POST /calls must never be sent twice"
    assert "calling" not in quick_bot.last_text(BOB)  # no token went out
    (record,) = await quick_bot.services.store.list_calls()
    assert record.status == status
    assert record.error
    # the bot keeps working
    quick_bot.kv.faults.clear()
    await quick_bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in quick_bot.last_text(GROUP)


async def test_429_without_retry_after_is_retried_then_reported(quick_bot: Bot) -> None:
    await quick_bot.onboard_pair()
    quick_bot.kv.add_fault(method="POST", status=429, body={"status": "too_many"}, times=None)
    await quick_bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "busy or down" in quick_bot.last_text(GROUP)
    posts = [r for r in quick_bot.kv.requests if r["method"] == "POST"]
    assert len(posts) == 3  # a 429 means "not done": the client retried twice
    assert quick_bot.kv.state.calls == {}


async def test_429_once_then_success_places_one_call(quick_bot: Bot) -> None:
    await quick_bot.onboard_pair()
    quick_bot.kv.add_fault(method="POST", status=429, headers={"Retry-After": "0"}, times=1)
    await quick_bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in quick_bot.last_text(GROUP)
    assert len(quick_bot.kv.state.calls) == 1


async def test_wrong_kavenegar_token(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    async with bot_running(tg, kv, sqlite_url, kavenegar_api_token="not-the-right-token") as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        assert "Kavenegar rejected this bot's credentials" in bot.last_text(GROUP)


async def test_kavenegar_connection_refused(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}/user/v1"
    async with bot_running(tg, kv, sqlite_url, kavenegar_base_url=base) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        assert "I couldn't reach Kavenegar" in bot.last_text(GROUP)


@pytest.mark.parametrize(
    ("how", "reason", "delivery"),
    [
        ("block", "they blocked me", "blocked"),
        ("deactivate", "their Telegram account is deleted", "deactivated"),
        ("delete_chat", "they haven't pressed Start in a private chat with me", "not_started"),
    ],
)
async def test_callee_unreachable_after_onboarding(
    bot: Bot, how: str, reason: str, delivery: str
) -> None:
    await bot.onboard_pair()
    if how == "delete_chat":  # Telegram answers "bot can't initiate conversation" again
        bot.tg.state.users[BOB].started = False
    elif how == "block":  # the bot missed the my_chat_member update (it was down, say)
        await bot.tg.block(BOB, notify=False)
    else:
        bot.tg.deactivate(BOB)
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    notice = bot.last(GROUP)
    assert visible(notice.text) == (
        f"📞 Alice is calling Bob: check your private chat with me.\n"
        f"⚠️ I couldn't reach Bob: {reason}."
    )
    assert [b["url"] for b in notice.buttons] == ["https://t.me/KavenegarCallBot?start=call"]
    caller_messages = [visible(m.text) for m in bot.tg.sent_to(ALICE)[-2:]]
    assert "You are calling Bob" in caller_messages[0]
    assert caller_messages[1] == f"⚠️ I couldn't reach Bob: {reason}."
    (record,) = await bot.services.store.list_calls()
    assert (record.status, record.caller_delivery, record.callee_delivery) == (
        "created",
        "sent",
        delivery,
    )
    bob = await bot.services.store.get_user(BOB)
    assert bob is not None and not bob.dm_open
    # the next call is refused up front, at no cost
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "@bob_k hasn't pressed Start" in bot.last_text(GROUP)
    assert len(bot.kv.state.calls) == 1


async def test_unparsable_html_falls_back_to_plain_text(bot: Bot) -> None:
    await bot.onboard_pair()
    bot.tg.add_fault(
        method="sendMessage",
        chat_id=BOB,
        status=400,
        description="Bad Request: can't parse entities: Unsupported start tag at byte offset 3",
    )
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    bob_message = bot.last(BOB)
    token = bot.kv.state.endpoints[f"tg{BOB}"].access_token
    assert bob_message.parse_mode is None
    assert token in bob_message.text and "<code>" not in bob_message.raw_text
    assert "Alice is calling Bob" in bot.last_text(GROUP)


@pytest.mark.parametrize("chat", [BOB, GROUP])
async def test_flood_429_is_waited_out_then_delivered(bot: Bot, chat: int) -> None:
    await bot.onboard_pair()
    bot.tg.add_fault(
        method="sendMessage",
        chat_id=chat,
        status=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
    )
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    await bot.settle()
    assert "Alice is calling you" in bot.last_text(BOB)
    assert "Alice is calling Bob" in bot.last_text(GROUP)
    (record,) = await bot.services.store.list_calls()
    assert record.callee_delivery == "sent"
    attempts = [p for p in bot.tg.calls_of("sendMessage") if p["chat_id"] == chat]
    expected = 2 if chat == GROUP else 3  # the refused try and the retry (+ bob's welcome)
    assert len(attempts) == expected


async def test_telegram_failing_on_the_group_notice_loses_nothing(bot: Bot) -> None:
    await bot.onboard_pair()
    bot.tg.add_fault(method="sendMessage", chat_id=GROUP, kind="bad_gateway", times=5)
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling you" in bot.last_text(BOB)
    (record,) = await bot.services.store.list_calls()
    assert record.status == "created"
    await bot.say(ALICE, "/help")
    assert "<b>Commands</b>" in bot.last(ALICE).raw_text


async def test_polling_survives_network_errors(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    bot.tg.add_fault(method="getUpdates", kind="bad_gateway", times=3)
    await bot.tg.user_sends(ALICE, "/whoami")
    await bot.tg.wait_until(lambda: f"tg{ALICE}" in bot.last_text(ALICE), what="whoami", timeout=15)


async def test_a_block_seen_as_it_happens_refuses_calls_up_front(bot: Bot) -> None:
    await bot.onboard_pair()
    await bot.tg.block(BOB)  # Telegram sends my_chat_member: kicked
    await bot.settle()
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "@bob_k hasn't pressed Start" in bot.last_text(GROUP)
    assert bot.kv.requests == []  # no paid call for someone who cannot get the token
    await bot.say(BOB, "/start")  # unblocking and starting again makes him reachable
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in bot.last_text(GROUP)
