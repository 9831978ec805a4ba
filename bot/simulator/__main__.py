"""``python -m bot.simulator``: serve a local Telegram Bot API until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from . import TelegramSimulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.simulator",
        description="A local Telegram Bot API simulator for tests and demos (loopback only).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456789:SIMULATED-bot-token-AAAAAAAAAAAAAAAA")
    parser.add_argument("--bot-username", default="KavenegarCallBot")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> None:
    sim = TelegramSimulator(
        token=args.token, bot_username=args.bot_username, host=args.host, port=args.port
    )
    async with sim:
        print(
            f"Telegram simulator: TELEGRAM_BASE_URL={sim.base_url}  (controls: {sim.control_url})"
        )
        await asyncio.Event().wait()


if __name__ == "__main__":
    main()
