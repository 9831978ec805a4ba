"""/call end to end: the bot over real HTTP against both simulators."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.simulator import TelegramSimulator
from bot.storage import Store
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import Bot, bot_running

CAROL = 1003


def tokens(bot: Bot) -> tuple[str, str]:
    """The access tokens the sandbox handed out for alice and bob."""
    endpoints = bot.kv.state.endpoints
    return endpoints[f"tg{ALICE}"].access_token, endpoints[f"tg{BOB}"].access_token


def kavenegar_posts(bot: Bot) -> list[dict[str, object]]:
    return [json.loads(r["body"]) for r in bot.kv.requests if r["method"] == "POST"]


async def test_group_call_sends_each_token_only_to_its_owner(bot: Bot, sqlite_url: str) -> None:
    await bot.onboard_pair()
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)

    (body,) = kavenegar_posts(bot)
    assert body == {
        "caller": {"username": f"tg{ALICE}", "displayName": "Alice"},
        "receptor": {"username": f"tg{BOB}", "displayName": "Bob"},
        "maxDuration": 600,
    }
    (call,) = bot.kv.state.calls.values()
    alice_token, bob_token = tokens(bot)

    alice_msg, bob_msg = bot.last(ALICE), bot.last(BOB)
    assert f"<code>{alice_token}</code>" in alice_msg.raw_text
    assert f"<code>{bob_token}</code>" in bob_msg.raw_text
    assert bob_token not in alice_msg.raw_text and alice_token not in bob_msg.raw_text
    assert call.id in visible(alice_msg.text) and call.id in visible(bob_msg.text)
    assert "You are calling Bob" in visible(alice_msg.text)
    assert "Alice is calling you" in visible(bob_msg.text)
    assert "one minute" in visible(bob_msg.text)

    group = bot.tg.sent_to(GROUP)
    assert [visible(m.text) for m in group] == [
        "📞 Alice is calling Bob: check your private chat with me."
    ]
    for message in group:
        assert alice_token not in message.raw_text and bob_token not in message.raw_text

    (record,) = await bot.services.store.list_calls()
    assert (record.status, record.kavenegar_call_id) == ("created", call.id)
    assert (record.caller_delivery, record.callee_delivery) == ("sent", "sent")
    database = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///"))
    dump = b"".join(p.read_bytes() for p in database.parent.glob("bot.db*"))
    assert alice_token.encode() not in dump and bob_token.encode() not in dump


async def test_private_chat_call_gets_no_extra_notice(bot: Bot) -> None:
    await bot.onboard_pair()
    before = len(bot.tg.sent_to(ALICE))
    await bot.say(ALICE, "/call @bob_k")
    alice_new = bot.tg.sent_to(ALICE)[before:]
    assert len(alice_new) == 1 and "You are calling Bob" in visible(alice_new[0].text)
    assert "is calling you" in bot.last_text(BOB)


async def test_reply_with_call_calls_the_author(bot: Bot) -> None:
    await bot.onboard_pair()
    hello = await bot.say(BOB, "anyone around?", chat_id=GROUP)
    await bot.say(ALICE, "/call", chat_id=GROUP, reply_to=hello["message_id"])
    assert len(bot.kv.state.calls) == 1
    assert "Alice is calling you" in bot.last_text(BOB)


async def test_text_mention_reaches_people_without_a_username(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    await bot.onboard(CAROL, "Carol")  # no username at all
    await bot.say(ALICE, "/call Carol", chat_id=GROUP, text_mentions={"Carol": CAROL})
    assert "Alice is calling you" in bot.last_text(CAROL)


async def test_command_with_bot_name_mention_case_and_duration(bot: Bot) -> None:
    await bot.onboard_pair()
    await bot.say(ALICE, "/call@KavenegarCallBot @BOB_K 2m", chat_id=GROUP)
    await bot.say(ALICE, "/call @bob_k 90s", chat_id=GROUP)
    assert [b.get("maxDuration") for b in kavenegar_posts(bot)] == [120, 90]


async def test_known_platform_is_sent_with_the_call(bot: Bot) -> None:
    await bot.onboard_pair()
    await bot.say(BOB, "/platform ios")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (body,) = kavenegar_posts(bot)
    assert body["receptor"] == {"username": f"tg{BOB}", "displayName": "Bob", "platform": "ios"}


async def test_edited_command_places_no_second_call(bot: Bot) -> None:
    await bot.onboard_pair()
    message = await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    await bot.tg.user_edits(GROUP, message["message_id"], "/call @bob_k 5m")
    await bot.settle()
    assert len(bot.kv.state.calls) == 1
    assert len(bot.tg.sent_to(GROUP)) == 1


async def test_redelivered_update_places_no_second_call(bot: Bot) -> None:
    await bot.onboard_pair()
    message = await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    await bot.tg.state.push_update("message", message)  # Telegram delivers it again
    await bot.settle()
    assert len(bot.kv.state.calls) == 1
    assert len(await bot.services.store.list_calls()) == 1


async def test_join_url_template_adds_a_join_button(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    async with bot_running(
        tg,
        kv,
        sqlite_url,
        join_url_template="https://app.example.com/join/{call_id}/{access_token}",
    ) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        (call,) = kv.state.calls.values()
        alice_token, bob_token = tokens(bot)
        (button,) = bot.last(BOB).buttons
        assert button["url"] == f"https://app.example.com/join/{call.id}/{bob_token}"
        assert bot.last(ALICE).buttons[0]["url"].endswith(alice_token)
        assert all(not m.buttons for m in tg.sent_to(GROUP))


async def test_markup_laden_and_persian_names_are_shown_as_typed(bot: Bot) -> None:
    await bot.onboard(ALICE, "<b>Boss</b> & Co.", "alice_k", last_name="[x](y)")
    await bot.onboard(BOB, "محمد", "bob_k", last_name="رضایی", language_code="fa")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (notice,) = bot.tg.sent_to(GROUP)
    assert (
        visible(notice.text)
        == "📞 <b>Boss</b> & Co. [x](y) is calling محمد رضایی: check your private chat with me."
    )
    bob_msg = bot.last(BOB)
    assert visible(bob_msg.text).startswith("📞 <b>Boss</b> & Co. [x](y) با شما تماس می‌گیرد")
    assert "توکن دسترسی شما" in visible(bob_msg.text)
    assert bot.last_text(ALICE).startswith("📞 You are calling محمد رضایی")
    (body,) = kavenegar_posts(bot)
    assert body["receptor"]["displayName"] == "محمد رضایی"  # type: ignore[index]


async def test_restart_keeps_every_mapping(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    async with bot_running(tg, kv, sqlite_url) as first:
        await first.onboard_pair()
        await first.say(BOB, "/platform android")

    async with bot_running(tg, kv, sqlite_url) as second:
        await second.say(ALICE, "/call @bob_k", chat_id=GROUP)  # nobody onboards again
        (body,) = kavenegar_posts(second)
        assert body["receptor"] == {
            "username": f"tg{BOB}",
            "displayName": "Bob",
            "platform": "android",
        }
    store = await Store.open(sqlite_url)
    try:
        bob = await store.get_user(BOB)
    finally:
        await store.close()
    assert bob is not None and bob.kavenegar_username == f"tg{BOB}" and bob.dm_open


async def test_a_slow_kavenegar_never_stalls_other_users(bot: Bot) -> None:
    await bot.onboard_pair()
    await bot.onboard(CAROL, "Carol", "carol_k")
    bot.kv.faults.latency = 1.5
    await bot.tg.user_sends(ALICE, "/call @bob_k", chat_id=GROUP)
    await asyncio.sleep(0.2)  # alice's call is now waiting on Kavenegar
    await bot.tg.user_sends(CAROL, "/whoami")
    await bot.tg.wait_until(lambda: "tg1003" in bot.last_text(CAROL), what="carol's answer")
    assert not bot.kv.state.calls, "carol was answered while alice's call was still pending"
    await bot.settle()
    assert len(bot.kv.state.calls) == 1


async def test_a_command_in_capitals_or_addressed_to_the_bot_is_answered_once(bot: Bot) -> None:
    """python-telegram-bot matches commands in any case: the update is taken once, by the flow
    that answers it, whichever way ``/call`` is spelled."""
    await bot.onboard_pair()
    await bot.say(ALICE, "/CALL", chat_id=GROUP)
    assert bot.last_text(GROUP).startswith("Whom should I call?")
    await bot.say(ALICE, "/Call@KavenegarCallBot @bob_k", chat_id=GROUP)
    assert len(bot.kv.state.calls) == 1
    notices = [m for m in bot.tg.sent_to(GROUP) if "is calling" in m.text]
    assert len(notices) == 1


async def test_a_command_telegram_cuts_short_is_answered_once(bot: Bot) -> None:
    """Telegram marks "/call" in "/call-now @bob_k": python-telegram-bot calls it /call, and so
    must the preflight, or nobody would take the update."""
    await bot.onboard_pair()
    before = len(bot.tg.sent_to(GROUP))
    await bot.say(ALICE, "/call-now @bob_k", chat_id=GROUP)
    assert len(bot.tg.sent_to(GROUP)) == before + 1
