"""100 simultaneous /call commands through the real bot: how well slow Kavenegar calls overlap."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from bot.app import OVERALL_PER_SECOND, build_bot
from bot.config import Settings
from bot.runtime import running
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

CALLS = 100
LATENCY = 0.2
TOKEN = "777:BENCH-bot-token-not-a-secret-000000"


async def main(workdir: Path) -> None:
    async with (
        TelegramSimulator(token=TOKEN) as tg,
        KavenegarSandbox(api_token="bench") as kv,
    ):
        settings = Settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            kavenegar_api_token="bench",
            telegram_base_url=tg.base_url,
            kavenegar_base_url=kv.base_url,
            database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        )
        people = list(range(1, 2 * CALLS + 1))
        for user in people:
            tg.add_user(user, f"P{user}", username=f"person_{user}")
        async with running(build_bot(settings), poll_timeout=1.0):
            await asyncio.gather(*(tg.user_sends(u, "/start") for u in people))
            await tg.wait_until(lambda: all(tg.sent_to(u) for u in people), timeout=120)
            kv.faults.latency = LATENCY
            begin = time.perf_counter()
            await asyncio.gather(
                *(tg.user_sends(u, f"/call @person_{u + CALLS}") for u in people[:CALLS])
            )
            await tg.wait_until(lambda: all(len(tg.sent_to(u)) == 2 for u in people), timeout=300)
            wall = time.perf_counter() - begin
    floor = 2 * CALLS / OVERALL_PER_SECOND  # two private messages a call, paced for Telegram
    print(f"{CALLS} calls, Kavenegar latency {LATENCY * 1000:.0f} ms: {wall:.2f} s in all")
    print(f"wall time / one Kavenegar round trip = {wall / LATENCY:.1f} (sequential: {CALLS})")
    label = f"flood-limit floor ({floor:.1f} s at {OVERALL_PER_SECOND}/s)"
    print(f"wall time / {label} = {wall / floor:.2f}")


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(Path(tmp)))
