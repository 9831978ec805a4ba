"""Issue 8 end to end: storage outages are answered, names cannot mislead, consent survives."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import asyncpg
import pytest

from bot.core.people import FSI, PDI
from bot.simulator import TelegramSimulator
from bot.storage import Store
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import Bot, bot_running

UNAVAILABLE = "I can't reach my records right now"
ADMIN = 4009


async def take_exclusive_lock(connection: sqlite3.Connection) -> None:
    """``BEGIN EXCLUSIVE``, once the bot's own background writes let it (never blocking)."""
    for _ in range(250):
        try:
            connection.execute("BEGIN EXCLUSIVE")
            return
        except sqlite3.OperationalError:
            await asyncio.sleep(0.02)
    raise AssertionError("could not lock the database")


async def test_a_locked_database_is_answered_and_the_bot_recovers(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    """Issue 8 items 6 and 10: with the database file locked, /whoami and /call get exactly one
    "temporarily unavailable" within 10 s (not silence, and no handler runs on an update that
    could not be claimed), and the bot works again once the lock is gone."""
    store = await Store.open(sqlite_url, timeout=0.5)
    try:
        async with bot_running(tg, kv, sqlite_url, store=store) as bot:
            await bot.onboard_pair()
            blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), timeout=0)
            await take_exclusive_lock(blocker)
            started = time.monotonic()
            for text, chat in (("/whoami", None), ("/call @bob_k", GROUP)):
                before = len(tg.sent_to(chat or ALICE))
                await bot.say(ALICE, text, chat_id=chat)
                # one answer: the failed update claim stopped the update (item 10)
                assert len(tg.sent_to(chat or ALICE)) == before + 1
                assert UNAVAILABLE in bot.last_text(chat or ALICE)
            assert time.monotonic() - started < 10
            assert kv.requests == []
            blocker.rollback()
            blocker.close()
            await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
            assert "Alice is calling Bob" in bot.last_text(GROUP)
    finally:
        await store.close()


@pytest.mark.postgres
async def test_postgres_refusing_connections_is_answered_and_the_bot_recovers(
    tg: TelegramSimulator, kv: KavenegarSandbox, postgres_url: str
) -> None:
    """Issue 8 item 6 on PostgreSQL: the server takes no connections (as when it is down)."""
    server, name = postgres_url.rsplit("/", 1)
    admin = await asyncpg.connect(server.replace("+asyncpg", "") + "/postgres")
    store = await Store.open(postgres_url, timeout=1.0)
    try:
        async with bot_running(tg, kv, postgres_url, store=store) as bot:
            await bot.onboard_pair()
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            await bot.say(ALICE, "/whoami")
            assert UNAVAILABLE in bot.last_text(ALICE)
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
            assert "Alice is calling Bob" in bot.last_text(GROUP)
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await store.close()


async def test_blank_and_spoofing_names_are_shown_safely(bot: Bot) -> None:
    """Issue 8 item 7: a blank name shows as @username; a right-to-left override is dropped;
    every inserted name is isolated."""
    await bot.onboard(ALICE, "\u202eAlice", "alice_k")
    await bot.onboard(BOB, "\u3164", "bob_k", last_name="\u200b ")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    notice = bot.last(GROUP).text
    assert notice == (
        f"📞 {FSI}Alice{PDI} is calling {FSI}@bob_k{PDI}: check your private chat with me."
    )
    assert "\u202e" not in "".join(m.text for m in bot.tg.state.sent)
    assert visible(bot.last(BOB).text).startswith("📞 Alice is calling you")


async def test_forget_then_any_message_does_not_make_a_person_callable(bot: Bot) -> None:
    """Issue 8 item 8: after /forget, only pressing Start again makes a person callable."""
    await bot.onboard_pair()
    await bot.say(BOB, "/forget")
    await bot.say(BOB, "/help")  # a private message, but not consent
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "@bob_k hasn't pressed Start in a private chat with me" in bot.last_text(GROUP)
    assert bot.kv.requests == []
    await bot.say(BOB, "/start")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in bot.last_text(GROUP)


async def test_an_admins_decision_outlives_forget_and_start(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    """Issue 8 item 8: /uncallable used to be wiped by the person's /forget then /start."""
    async with bot_running(tg, kv, sqlite_url, admin_user_ids=str(ADMIN)) as bot:
        await bot.onboard_pair()
        await bot.onboard(ADMIN, "Ada", "ada")
        await bot.say(ADMIN, "/uncallable @bob_k")
        await bot.say(BOB, "/forget")
        await bot.say(BOB, "/start")
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        assert "@bob_k isn't taking calls right now." in bot.last_text(GROUP)
        assert kv.requests == []


async def test_a_long_kavenegar_reason_reaches_the_chat(bot: Bot) -> None:
    """Issue 8 item 4 end to end: the simulator refuses texts over 4,096 characters as
    Telegram does; the answer is cut, not lost."""
    await bot.onboard_pair()
    body = {"status": "bad_request", "reasons": ["x" * 5000]}
    bot.kv.add_fault(method="POST", path="/calls", status=400, body=body)
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert bot.last_text(GROUP).startswith("Kavenegar refused the call (xxxx")
