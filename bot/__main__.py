"""``python -m bot`` / ``kavenegar-bot``: run the bot with long polling.

Long polling by default; webhook mode when ``WEBHOOK_URL`` is set (see :mod:`bot.telegram.webhook`).
Exit codes: 0 after a clean stop (Ctrl-C, SIGTERM), 2 for unusable settings or a bot token that
Telegram rejects (one plain line per problem, no traceback), 1 when Telegram cannot be reached
at start-up. ``--check-config`` validates the settings; with ``--online`` it also tries them
against Telegram, Kavenegar and the database (:mod:`bot.checks`), exit 2 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from telegram.error import InvalidToken, NetworkError

from bot.app import build_bot, redactor_for
from bot.checks import online_checks
from bot.config import ConfigError, Settings, load_settings
from bot.core.logs import configure_logging
from bot.runtime import run_until_signalled

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
    parser.add_argument(
        "--online",
        action="store_true",
        help="with --check-config: also try them against Telegram, Kavenegar and the database "
        "(one harmless request each; exit 2 if any fails)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # see the bot package's docstring
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    if args.check_config:
        print(f"{PROG}: settings are valid")
        if not args.online:
            return 0
        checks = asyncio.run(online_checks(settings, redactor_for(settings)))
        for check in checks:
            print(f"{PROG}: {check.line()}", file=sys.stdout if check.ok else sys.stderr)
        return 0 if all(check.ok for check in checks) else 2
    if args.online:
        print(f"{PROG}: --online goes with --check-config", file=sys.stderr)
        return 2
    redactor = redactor_for(settings)
    configure_logging(settings.log_level, redactor, json_lines=settings.log_format == "json")
    try:
        asyncio.run(run_until_signalled(build_bot(settings, redactor=redactor)))
    except InvalidToken:
        print(
            f"{PROG}: TELEGRAM_BOT_TOKEN: rejected by Telegram (401 Unauthorized)", file=sys.stderr
        )
        return 2
    except NetworkError as exc:
        print(f"{PROG}: cannot reach Telegram: {redactor.redact(str(exc))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
