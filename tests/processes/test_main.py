"""``python -m bot`` as a real process: settings errors, a wrong token, a clean run and stop,
and logs (at DEBUG) that never contain a secret."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from bot.__main__ import settings_help
from bot.config import Settings
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import BOT_TOKEN, GROUP, KV_TOKEN

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: A database password that must never be shown (as in tests/composition/test_config.py).
PASSWORD = "s3cret-pa55"


def bot_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update(values)
    return env


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no stray .env
        env=bot_env(PYTHONPATH=str(ROOT), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_settings_exit_2_with_one_line_each(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kavenegar-bot: TELEGRAM_BOT_TOKEN: missing",
        "kavenegar-bot: KAVENEGAR_API_TOKEN: missing",
    ]


def test_check_config_refuses_the_url_with_exit_2(tmp_path: Path) -> None:
    """Issue 8 item 11, end to end: ``--check-config`` says so in one line, no traceback."""
    result = run_bot(
        tmp_path,
        "--check-config",
        TELEGRAM_BOT_TOKEN="1:abc",
        KAVENEGAR_API_TOKEN="k",
        DATABASE_URL=f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com:abc/bot",
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("kavenegar-bot: DATABASE_URL: ")
    assert PASSWORD not in line


def test_malformed_settings_name_the_variable_and_hide_the_value(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN="not-a-token-secret-value",
        KAVENEGAR_API_TOKEN="x",
        DEFAULT_MAX_DURATION="ten",
        JOIN_URL_TEMPLATE="https://x.example/{nope}",
        TELEGRAM_BASE_URL="ftp://x",
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BASE_URL",
        "DEFAULT_MAX_DURATION",
        "JOIN_URL_TEMPLATE",
    ]
    assert "Traceback" not in result.stderr
    assert "not-a-token-secret-value" not in result.stderr


def test_a_fresh_copy_of_env_example_names_what_to_fill_in(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    result = run_bot(tmp_path, "--check-config")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kavenegar-bot: TELEGRAM_BOT_TOKEN: missing",
        "kavenegar-bot: KAVENEGAR_API_TOKEN: missing",
    ]


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:abc\nKAVENEGAR_API_TOKEN=k\n")
    result = run_bot(tmp_path, "--check-config")
    assert (result.returncode, result.stdout.strip()) == (0, "kavenegar-bot: settings are valid")


def test_help_lists_every_setting_and_docs_agree() -> None:
    names = [name.upper() for name in Settings.model_fields]
    help_text = settings_help()
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    for name in names:
        assert name in help_text
        assert f"`{name}`" in readme, f"README lacks {name}"
        assert re.search(rf"^#?\s*{name}=", example, re.M), f".env.example lacks {name}"


async def test_wrong_bot_token_exits_2(tmp_path: Path) -> None:
    async with TelegramSimulator(token="111:the-real-token-aaaaaaaaaaaaaaaa") as tg:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot",
            cwd=tmp_path,
            env=bot_env(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=BOT_TOKEN,
                        KAVENEGAR_API_TOKEN=KV_TOKEN, TELEGRAM_BASE_URL=tg.base_url),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    text = stderr.decode()
    assert text.strip().splitlines()[-1] == (
        "kavenegar-bot: TELEGRAM_BOT_TOKEN: rejected by Telegram (401 Unauthorized)"
    )
    assert BOT_TOKEN.split(":")[1] not in text


async def test_full_run_logs_no_secret_and_stops_cleanly(tmp_path: Path) -> None:
    async with (
        TelegramSimulator(token=BOT_TOKEN) as tg,
        KavenegarSandbox(api_token=KV_TOKEN) as kv,
    ):
        tg.add_group(GROUP, "Ops")
        tg.add_user(1, "Alice", username="alice_k")
        tg.add_user(2, "Bob", username="bob_k")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot",
            cwd=tmp_path,
            env=bot_env(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=BOT_TOKEN,
                        KAVENEGAR_API_TOKEN=KV_TOKEN, TELEGRAM_BASE_URL=tg.base_url,
                        KAVENEGAR_BASE_URL=kv.base_url, LOG_LEVEL="DEBUG"),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        stderr_task = asyncio.create_task(process.stderr.read())
        try:
            await tg.wait_until(lambda: bool(tg.calls_of("setMyCommands")), timeout=30)
            await tg.user_sends(1, "/start")
            await tg.user_sends(2, "/start")
            await tg.wait_until(
                lambda: len(tg.sent_to(1)) == len(tg.sent_to(2)) == 1, what="both welcomes"
            )
            await tg.user_sends(1, "/call @bob_k", chat_id=GROUP)
            await tg.wait_until(lambda: len(tg.sent_to(GROUP)) == 1, what="group notice")
        finally:
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
        logs = (await stderr_task).decode()
        access_tokens = [e.access_token for e in kv.state.endpoints.values()]
    assert code == 0
    assert "bot @KavenegarCallBot ready" in logs
    assert "Calling Bot API endpoint" in logs  # DEBUG really was on
    for secret in [BOT_TOKEN.split(":")[1], KV_TOKEN, *access_tokens]:
        assert secret not in logs
    assert len(access_tokens) == 2
    assert (tmp_path / "data" / "bot.db").exists()  # the default database location


def test_every_command_is_in_the_menu_and_the_readme(tmp_path: Path) -> None:
    from telegram.ext import CommandHandler

    from bot.app import build_bot
    from bot.services import Services
    from bot.telegram.commands import COMMANDS, register

    settings = Settings(_env_file=None, telegram_bot_token="1:abc", kavenegar_api_token="k")
    app = build_bot(settings).app
    # what the runtime registers once the services are built (handlers only keep them)
    register(app, cast(Services, None))
    registered = {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    menu = {spec.name for spec in COMMANDS}
    assert registered == menu
    readme = (ROOT / "README.md").read_text()
    for command in registered:
        assert f"`/{command}" in readme, f"README lacks /{command}"
