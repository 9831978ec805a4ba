"""Webhook mode: updates arrive by POST with the secret; /healthz reflects the database.

Issue 8's hardening of the port (timeouts, caps, odd bodies, log floods) is in
``test_webhook_hardening.py``.
"""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import httpx
import pytest

from bot.simulator import TelegramSimulator
from bot.telegram.webhook import SECRET_HEADER
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, GROUP
from .conftest import SECRET, Bot, webhook_bot_running


async def test_calls_work_over_the_webhook(hooked: tuple[Bot, str]) -> None:
    bot, url = hooked
    (registration,) = bot.tg.calls_of("setWebhook")
    assert registration["url"] == url
    assert registration["secret_token"] == SECRET
    await bot.onboard_pair()
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert "Alice is calling Bob" in bot.last_text(GROUP)
    assert "Alice is calling you" in bot.last_text(BOB)
    assert bot.tg.calls_of("getUpdates") == []
    assert {status for _, status in bot.tg.webhook_log} == {"200"}


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}])
async def test_requests_without_the_secret_get_403(
    hooked: tuple[Bot, str], headers: dict[str, str]
) -> None:
    bot, url = hooked
    update = {
        "update_id": 99,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"},
                    "from": {"id": 7, "is_bot": False, "first_name": "Mallory"}, "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}]},
    }  # fmt: skip
    async with httpx.AsyncClient() as http:
        response = await http.post(url, json=update, headers=headers)
        assert response.status_code == 403
        assert await bot.services.store.get_user(7) is None
        garbage = await http.post(url, content=b"{not json", headers={SECRET_HEADER: SECRET})
        assert garbage.status_code == 400
        ok = await http.post(url, json=update, headers={SECRET_HEADER: SECRET})
        assert ok.status_code == 200
    await bot.tg.wait_until(lambda: bool(bot.tg.calls_of("sendMessage")), what="the answer")


async def test_healthz_answers_when_the_database_does(hooked: tuple[Bot, str]) -> None:
    _bot, url = hooked
    async with httpx.AsyncClient() as http:
        response = await http.get(url.replace("/telegram/updates", "/healthz"))
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.postgres
async def test_healthz_is_503_when_postgres_is_gone(
    tg: TelegramSimulator, kv: KavenegarSandbox, empty_postgres_url: str
) -> None:
    async with webhook_bot_running(tg, kv, empty_postgres_url) as (_bot, url):
        health = url.replace("/telegram/updates", "/healthz")
        async with httpx.AsyncClient() as http:
            assert (await http.get(health)).status_code == 200
            server, name = empty_postgres_url.rsplit("/", 1)
            admin = await asyncpg.connect(server.replace("+asyncpg", "") + "/postgres")
            try:
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            finally:
                await admin.close()
            await asyncio.sleep(0.1)
            response = await http.get(health)
        assert (response.status_code, response.json()) == (503, {"status": "unreachable"})


def _sqlite_path(sqlite_url: str) -> str:
    return sqlite_url.removeprefix("sqlite+aiosqlite:///")


def _damage(path: str, statements: list[str]) -> None:
    with sqlite3.connect(path, timeout=30) as db:
        for statement in statements:
            db.execute(statement)
    db.close()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (["DELETE FROM alembic_version"], "schema"),
        (["UPDATE alembic_version SET version_num = 'not-a-revision'"], "schema"),
        (
            [
                "CREATE TRIGGER no_beat BEFORE INSERT ON heartbeat"
                " BEGIN SELECT RAISE(ABORT, 'read-only'); END",
                "CREATE TRIGGER no_rebeat BEFORE UPDATE ON heartbeat"
                " BEGIN SELECT RAISE(ABORT, 'read-only'); END",
            ],
            "readonly",
        ),
    ],
    ids=["no revision", "unknown revision", "refuses writes"],
)
async def test_healthz_names_what_is_wrong_with_the_database(
    hooked: tuple[Bot, str],
    sqlite_url: str,
    damage: list[str],
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Item 13: /healthz is 503 with the problem when the schema is off or writes fail."""
    _bot, url = hooked
    health = url.replace("/telegram/updates", "/healthz")
    async with httpx.AsyncClient() as http:
        assert (await http.get(health)).json() == {"status": "ok"}
        # In a thread: a blocking write here would stall the loop while the bot's scheduler holds
        # a transaction open in it, and the two would wait on each other until SQLite gives up.
        await asyncio.to_thread(_damage, _sqlite_path(sqlite_url), damage)
        response = await http.get(health)
    assert (response.status_code, response.json()) == (503, {"status": problem})
    assert _sqlite_path(sqlite_url) not in caplog.text
