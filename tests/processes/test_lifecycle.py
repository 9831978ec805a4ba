"""Signals: SIGTERM lets in-flight calls finish; SIGKILL under load loses no mapping and
creates no call twice once the bot is back."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import BOT_TOKEN, GROUP, KV_TOKEN, visible
from .bot_process import BotProcess

pytestmark = pytest.mark.slow


def bot_env(tg: TelegramSimulator, kv: KavenegarSandbox, tmp_path: Path) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "KAVENEGAR_API_TOKEN": KV_TOKEN,
        "TELEGRAM_BASE_URL": tg.base_url,
        "KAVENEGAR_BASE_URL": kv.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "CALLS_PER_MINUTE": "0",
        "LOG_LEVEL": "INFO",
    }


async def wait_ready(tg: TelegramSimulator, count: int) -> None:
    """The bot publishes its menu when ready (four calls per start)."""
    await tg.wait_until(lambda: len(tg.calls_of("setMyCommands")) >= 4 * count, timeout=30)


async def test_sigterm_finishes_in_flight_calls_then_exits_0(tmp_path: Path) -> None:
    async with TelegramSimulator(token=BOT_TOKEN) as tg, KavenegarSandbox(api_token=KV_TOKEN) as kv:
        tg.add_group(GROUP, "Ops")
        tg.add_user(1, "Alice", username="alice_k")
        tg.add_user(2, "Bob", username="bob_k")
        bot = await BotProcess(tmp_path, **bot_env(tg, kv, tmp_path)).start()
        await wait_ready(tg, 1)
        for user in (1, 2):
            await tg.user_sends(user, "/start")
        await tg.wait_until(
            lambda: len(tg.sent_to(1)) == len(tg.sent_to(2)) == 1, what="both welcomes"
        )
        kv.faults.latency = 2.0  # Kavenegar is slow: the call is in flight when SIGTERM comes
        await tg.user_sends(1, "/call @bob_k", chat_id=GROUP)
        await tg.wait_until(lambda: any(r["method"] == "POST" for r in kv.requests), what="POST")
        started = asyncio.get_running_loop().time()
        code = await bot.stop(signal.SIGTERM)
        took = asyncio.get_running_loop().time() - started
        logs = await bot.logs()
    assert code == 0, logs
    assert took < 30
    assert "Alice is calling you" in visible(tg.sent_to(2)[-1].text)  # delivered before exiting
    assert "Alice is calling Bob" in visible(tg.sent_to(GROUP)[-1].text)
    assert len(kv.state.calls) == 1


async def test_sigkill_under_load_then_restart(tmp_path: Path) -> None:
    people = list(range(100, 140))
    async with TelegramSimulator(token=BOT_TOKEN) as tg, KavenegarSandbox(api_token=KV_TOKEN) as kv:
        tg.add_group(GROUP, "Ops")
        for user in people:
            tg.add_user(user, f"P{user}", username=f"person_{user}")
        env = bot_env(tg, kv, tmp_path)
        first = await BotProcess(tmp_path, **env).start()
        await wait_ready(tg, 1)
        await asyncio.gather(*(tg.user_sends(u, "/start") for u in people))
        await tg.wait_until(lambda: all(tg.sent_to(u) for u in people), timeout=60)

        kv.faults.latency = 0.3
        callers, callees = people[:20], people[20:]
        await asyncio.gather(
            *(
                tg.user_sends(a, f"/call @person_{b}", chat_id=GROUP)
                for a, b in zip(callers, callees, strict=True)
            )
        )
        await tg.wait_until(lambda: len(kv.state.calls) >= 3, what="some calls", timeout=30)
        assert await first.stop(signal.SIGKILL) == -signal.SIGKILL

        second = await BotProcess(tmp_path, **env).start()
        await wait_ready(tg, 2)
        await tg.wait_idle(timeout=30)
        await asyncio.sleep(2)  # let the redelivered updates finish
        assert await second.stop(signal.SIGTERM) == 0

    per_caller = Counter(c.caller.username for c in kv.state.calls.values())
    assert per_caller and max(per_caller.values()) == 1, "a /call created two calls"
    database = sqlite3.connect(tmp_path / "bot.db")
    try:
        users = database.execute("SELECT telegram_id, kavenegar_username, dm_open FROM users")
        mapped = {row[0]: (row[1], row[2]) for row in users}
        rows = database.execute("SELECT caller_id, kavenegar_call_id FROM calls").fetchall()
    finally:
        database.close()
    assert mapped == {u: (f"tg{u}", 1) for u in people}  # no mapping lost
    recorded = {caller for caller, _ in rows}
    assert len(rows) == len(recorded)  # one record per command at most
    created_ids = {call_id for _, call_id in rows if call_id}
    assert created_ids <= set(kv.state.calls)  # every recorded call exists, none invented
