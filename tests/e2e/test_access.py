"""Access control, consent and quotas, end to end: refused commands cost no Kavenegar request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import GROUP, visible
from .conftest import Bot, bot_running

ADMIN, ALICE, BOB, EVE = 5000, 5001, 5002, 5003
OTHER_GROUP = -100999


@pytest.fixture
async def locked(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> AsyncIterator[Bot]:
    """A bot open only to alice, bob and the admin, in GROUP only."""
    tg.add_group(OTHER_GROUP, "Strangers")
    async with bot_running(
        tg,
        kv,
        sqlite_url,
        allowed_user_ids=f"{ALICE},{BOB}",
        allowed_chat_ids=str(GROUP),
        admin_user_ids=str(ADMIN),
    ) as bot:
        await bot.onboard(ADMIN, "Ada", "ada_admin")
        await bot.onboard(ALICE, "Alice", "alice_k")
        await bot.onboard(BOB, "Bob", "bob_k")
        yield bot


async def test_outsider_is_answered_once_and_places_no_call(locked: Bot) -> None:
    locked.tg.add_user(EVE, "Eve", username="eve_k")
    await locked.say(EVE, "/start")
    assert "this bot is only for its team" in locked.last_text(EVE)
    assert f"your id: {EVE}" in locked.last_text(EVE)
    await locked.say(EVE, "/call @bob_k")
    await locked.say(EVE, "/help")
    assert len(locked.tg.sent_to(EVE)) == 1  # answered once, then quiet
    assert locked.kv.requests == []


async def test_unlisted_group_is_refused_even_for_listed_people(locked: Bot) -> None:
    await locked.say(ALICE, "/call @bob_k", chat_id=OTHER_GROUP)
    await locked.say(ALICE, "/call @bob_k", chat_id=OTHER_GROUP)
    sent = locked.tg.sent_to(OTHER_GROUP)
    assert len(sent) == 1
    assert "isn't enabled in this chat" in visible(sent[0].text)
    assert f"chat id: {OTHER_GROUP}" in visible(sent[0].text)
    assert locked.kv.requests == []
    await locked.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in locked.last_text(GROUP)


async def test_admins_change_access_at_run_time_and_it_survives_restart(
    locked: Bot, tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    admin_menu = [c["command"] for c in locked.tg.state.commands[("chat", "")]]
    assert {"allow", "deny", "access", "uncallable", "callable"} <= set(admin_menu)
    await locked.say(ALICE, f"/allow {EVE}")
    assert locked.last_text(ALICE) == "Only the bot's admins can do that."
    await locked.say(ADMIN, "/allow", chat_id=OTHER_GROUP)  # in the group itself
    assert locked.last_text(OTHER_GROUP) == f"Allowed: chat {OTHER_GROUP}."
    await locked.say(ADMIN, f"/allow {EVE}")
    await locked.say(ADMIN, f"/deny {BOB}")
    await locked.say(ADMIN, "/access")
    assert locked.last_text(ADMIN) == (
        f"Who may use the bot\nPeople: {ALICE}, {EVE}\nChats: {OTHER_GROUP}, {GROUP}\n"
        f"Denied: {BOB}\nAdmins: {ADMIN}"
    )
    await locked.stop()

    async with bot_running(
        tg, kv, sqlite_url,
        allowed_user_ids=f"{ALICE},{BOB}", allowed_chat_ids=str(GROUP),
        admin_user_ids=str(ADMIN),
    ) as bot:  # fmt: skip
        await bot.onboard(EVE, "Eve", "eve_k")
        assert bot.last_text(EVE).startswith("👋 Hi Eve!")
        await bot.say(EVE, "/call @alice_k", chat_id=OTHER_GROUP)
        assert "Eve is calling Alice" in bot.last_text(OTHER_GROUP)
        await bot.say(BOB, "/call @alice_k")
        assert "this bot is only for its team" in bot.last_text(BOB)
        assert len(kv.state.calls) == 1


async def test_deny_works_in_an_open_bot(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    await bot.onboard(BOB, "Bob", "bob_k")
    await bot.services.store.set_access_rule("user", ALICE, False, changed_by=None)
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "this bot is only for its team" in bot.last_text(GROUP)
    assert bot.kv.requests == []


async def test_dnd_stops_calls_until_turned_off(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    await bot.onboard(BOB, "Bob", "bob_k")
    await bot.say(BOB, "/dnd on")
    assert bot.last_text(BOB).startswith("Done: you won't receive calls.")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert bot.last_text(GROUP) == "@bob_k isn't taking calls right now."
    assert bot.kv.requests == []
    await bot.say(BOB, "/dnd")
    assert bot.last_text(BOB).endswith("Now: not taking calls.")
    await bot.say(BOB, "/dnd off")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in bot.last_text(GROUP)


async def test_admin_marks_people_uncallable_and_back(locked: Bot) -> None:
    hello = await locked.say(BOB, "hi", chat_id=GROUP)
    await locked.say(ADMIN, "/uncallable", chat_id=GROUP, reply_to=hello["message_id"])
    assert locked.last_text(GROUP) == "Bob can no longer be called."
    await locked.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert locked.last_text(GROUP) == "@bob_k isn't taking calls right now."
    await locked.say(ADMIN, "/callable @bob_k")
    assert locked.last_text(ADMIN) == "@bob_k can be called again."
    await locked.say(ADMIN, "/uncallable @nobody_here")
    assert locked.last_text(ADMIN) == "I don't know @nobody_here."
    # by id, the decision holds even for someone the bot has not met yet
    await locked.say(ADMIN, "/uncallable 424242")
    assert locked.last_text(ADMIN) == "424242 can no longer be called."
    await locked.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in locked.last_text(GROUP)
    assert len(locked.kv.state.calls) == 1


async def test_forget_takes_effect_at_once(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    await bot.onboard(BOB, "Bob", "bob_k")
    await bot.say(BOB, "/forget")
    assert bot.last_text(BOB).startswith("Done: I have forgotten you.")
    assert await bot.services.store.get_user(BOB) is None
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert bot.last_text(GROUP).startswith("I don't know @bob_k yet.")
    assert bot.kv.requests == []
    await bot.onboard(BOB, "Bob", "bob_k")  # coming back is one /start
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in bot.last_text(GROUP)


async def test_quota_per_minute_counts_group_and_private_together(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    async with bot_running(tg, kv, sqlite_url, calls_per_minute=2, calls_per_day=10) as bot:
        await bot.onboard(ALICE, "Alice", "alice_k")
        await bot.onboard(BOB, "Bob", "bob_k")
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        await bot.say(ALICE, "/call @bob_k")  # private
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        refusal = bot.last_text(GROUP)
        assert refusal.startswith(
            "You have reached your limit of calls (2 per minute). You can call again in"
        )
        assert refusal.endswith(" seconds.")
        assert len(kv.state.calls) == 2
        await bot.say(BOB, "/call @alice_k", chat_id=GROUP)  # others are not affected
        assert "Bob is calling Alice" in bot.last_text(GROUP)


async def test_quota_per_day(tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str) -> None:
    async with bot_running(tg, kv, sqlite_url, calls_per_minute=0, calls_per_day=1) as bot:
        await bot.onboard(ALICE, "Alice", "alice_k")
        await bot.onboard(BOB, "Bob", "bob_k", language_code="fa")
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        assert bot.last_text(GROUP) == (
            "You have reached your limit of calls (1 per 24 hours). You can call again in 24 hours."
        )
        await bot.say(BOB, "/call @alice_k", chat_id=GROUP)
        await bot.say(BOB, "/call @alice_k", chat_id=GROUP)
        assert bot.last_text(GROUP).endswith("24 ساعت دیگر می‌توانید دوباره تماس بگیرید.")
        assert len(kv.state.calls) == 2
