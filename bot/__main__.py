"""``python -m bot`` / ``kavenegar-bot``: run the bot with long polling.

Long polling by default; webhook mode when ``WEBHOOK_URL`` is set (see :mod:`bot.webhook`).
Exit codes: 0 after a clean stop (Ctrl-C, SIGTERM), 2 for unusable settings or a bot token that
Telegram rejects (one plain line per problem, no traceback), 1 when Telegram cannot be reached
at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from .app import build_application, redactor_for
from .config import ConfigError, Settings, load_settings
from .logs import configure_logging
from .webhook import serving_webhook

PROG = "kavenegar-bot"


def settings_help() -> str:
    """One line per setting, generated from the Settings model so --help never drifts."""
    lines = ["settings (environment variables, or a .env file in the working directory):"]
    for name, field in Settings.model_fields.items():
        default = "required" if field.is_required() else f"default: {field.default}"
        lines.append(f"  {name.upper():<26} {field.description} ({default})")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Telegram bot that places Kavenegar voice calls: /call @user.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check-config", action="store_true", help="validate the settings and exit"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    if args.check_config:
        print(f"{PROG}: settings are valid")
        return 0
    redactor = redactor_for(settings)
    configure_logging(settings.log_level, redactor)
    app = build_application(settings, redactor=redactor)
    try:
        if settings.webhook_url:
            asyncio.run(_serve_webhook(app, settings))
        else:
            app.run_polling(
                allowed_updates=Update.ALL_TYPES,
                stop_signals=(signal.SIGINT, signal.SIGTERM),
                close_loop=False,
            )
    except InvalidToken:
        print(
            f"{PROG}: TELEGRAM_BOT_TOKEN: rejected by Telegram (401 Unauthorized)", file=sys.stderr
        )
        return 2
    except NetworkError as exc:
        print(f"{PROG}: cannot reach Telegram: {redactor.redact(str(exc))}", file=sys.stderr)
        return 1
    return 0


async def _serve_webhook(app: Any, settings: Settings) -> None:
    """Webhook mode until SIGINT or SIGTERM, then a graceful stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serving_webhook(app, settings):
        await stop.wait()


if __name__ == "__main__":
    sys.exit(main())
