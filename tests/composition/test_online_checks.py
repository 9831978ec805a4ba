"""``--check-config --online``: each failure an operator meets before deploying, said in one line
with what to do, tried against the simulators and real databases; nothing written anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.checks import Check, online_checks
from bot.config import Settings
from bot.core.logs import SecretRedactor
from bot.simulator import TelegramSimulator
from bot.storage.migrations import head_revision, upgrade
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import BOT_TOKEN, KV_TOKEN

WEBHOOK = "https://bot.example.org/tg"


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=BOT_TOKEN, bot_username="KavenegarCallBot") as sim:
        yield sim


def settings(tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "kavenegar_api_token": KV_TOKEN,
        "telegram_base_url": tg.base_url,
        "kavenegar_base_url": kv.base_url,
        "database_url": db_url,
        **extra,
    }
    return Settings(_env_file=None, **values)


async def run(config: Settings) -> dict[str, Check]:
    redactor = SecretRedactor()
    for secret in (config.telegram_bot_token, config.kavenegar_api_token):
        redactor.add(secret.get_secret_value())
    return {c.name.split()[0]: c for c in await online_checks(config, redactor)}


def no_secret(checks: dict[str, Check]) -> None:
    for check in checks.values():
        assert BOT_TOKEN not in check.line() and KV_TOKEN not in check.line()


async def test_all_good_says_who_and_where(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str
) -> None:
    checks = await run(settings(tg, kv, db_url))
    assert all(c.ok for c in checks.values()), [c.line() for c in checks.values()]
    assert "@KavenegarCallBot" in checks["Telegram"].line()
    assert "the API token works" in checks["Kavenegar"].line()
    assert f"schema at {head_revision()}" in checks["database"].line()


async def test_a_bad_bot_token(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    wrong = "123456:" + "x" * 35
    checks = await run(settings(tg, kv, sqlite_url, telegram_bot_token=wrong))
    assert not checks["Telegram"].ok
    assert "TELEGRAM_BOT_TOKEN was rejected (401)" in checks["Telegram"].line()
    assert wrong not in checks["Telegram"].line()
    assert checks["Kavenegar"].ok and checks["database"].ok  # the others still checked


async def test_a_bad_kavenegar_token(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    checks = await run(settings(tg, kv, sqlite_url, kavenegar_api_token="not-the-token"))
    assert not checks["Kavenegar"].ok
    assert "KAVENEGAR_API_TOKEN was rejected (401)" in checks["Kavenegar"].line()
    assert "not-the-token" not in checks["Kavenegar"].line()


async def test_a_webhook_another_deployment_set(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    tg.state.webhook = {"url": "https://old.example.org/hook"}
    config = settings(tg, kv, sqlite_url, webhook_url=WEBHOOK, webhook_secret="s" * 32)
    checks = await run(config)
    assert not checks["Telegram"].ok
    assert "another URL (https://old.example.org/hook)" in checks["Telegram"].line()
    tg.state.webhook = {"url": WEBHOOK}
    assert (await run(config))["Telegram"].ok


def at_revision(path: Path, revision: str) -> str:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        upgrade(conn, revision)
    engine.dispose()
    return f"sqlite+aiosqlite:///{path}"


async def test_a_database_behind_this_release(
    tg: TelegramSimulator, kv: KavenegarSandbox, tmp_path: Path
) -> None:
    url = at_revision(tmp_path / "old.db", "0005")
    checks = await run(settings(tg, kv, url))
    line = checks["database"].line()
    assert not checks["database"].ok and "schema at 0005, behind" in line
    assert "upgrades it when it starts" in line
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as conn:  # nothing was changed by looking
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0005"
    engine.dispose()


async def test_a_database_ahead_of_this_release_and_one_that_does_not_answer(
    tg: TelegramSimulator, kv: KavenegarSandbox, tmp_path: Path
) -> None:
    url = at_revision(tmp_path / "new.db", "head")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    checks = await run(settings(tg, kv, url))
    assert "unknown to this release" in checks["database"].line()
    down = "postgresql+asyncpg://nobody:x@127.0.0.1:9/none"
    checks = await run(settings(tg, kv, down))
    assert not checks["database"].ok
    assert "does not answer" in checks["database"].line()
    assert "x@" not in checks["database"].line()


async def test_a_fresh_sqlite_file_is_fine_and_not_created(
    tg: TelegramSimulator, kv: KavenegarSandbox, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'later.db'}"
    checks = await run(settings(tg, kv, url))
    assert (
        checks["database"].ok and "creates its schema when it starts" in checks["database"].line()
    )
    assert not (tmp_path / "later.db").exists()


async def test_the_browser_sdk_is_checked_with_a_join_page(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    """Issue 23: the SDK's URL and surface, which nothing else can verify before people tap
    Join; only checked with WEBAPP_URL."""
    assert "browser" not in await run(settings(tg, kv, sqlite_url))
    page = {"webapp_url": "https://bot.example.org/join"}
    served = await run(settings(tg, kv, sqlite_url, **page, kavenegar_web_sdk_url=kv.web_sdk_url))
    assert served["browser"].ok, served["browser"].line()
    gone = kv.root_url + "/_sandbox/no-such-sdk.js"
    missing = await run(settings(tg, kv, sqlite_url, **page, kavenegar_web_sdk_url=gone))
    assert missing["browser"].line() == (
        "FAIL  browser SDK: KAVENEGAR_WEB_SDK_URL answers 404: the join page cannot join calls "
        "(people get the token-for-the-app fallback); find the SDK's current URL"
    )
    other = await run(
        settings(tg, kv, sqlite_url, **page, kavenegar_web_sdk_url=kv.root_url + "/_sandbox/calls")
    )
    assert "has no KavenegarCall or initCall" in other["browser"].line()
