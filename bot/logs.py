"""Logging set-up with secret redaction: tokens never reach a log line or a traceback.

httpx logs request URLs at INFO and Telegram puts the bot token in the URL path, so httpx and
httpcore are held at WARNING (python-telegram-bot's own advice). That is not enough: exception
texts carry URLs too, and python-telegram-bot logs the parameters of every Bot API call at DEBUG,
message texts (and so access tokens) included. Every handler therefore gets a
:class:`SecretRedactor` that rewrites the message, its arguments and the formatted traceback.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import OrderedDict
from collections.abc import Iterable
from typing import TextIO

__all__ = ["REDACTED", "SecretRedactor", "configure_logging"]

REDACTED = "***"
# Any bot token, ours or not, as it appears in Bot API URLs: keep the bot id, hide the secret.
_BOT_TOKEN = re.compile(r"(?<![0-9])([0-9]{3,}):[A-Za-z0-9_-]{20,}")
_MAX_REMEMBERED = 10_000


class SecretRedactor(logging.Filter):
    """A logging filter that replaces known secrets, and anything shaped like a bot token."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        #: The bot's own secrets, kept for good.
        self._fixed = [s for s in secrets if s]
        #: Secrets learned while running (access tokens), the most recent 10,000.
        self._recent: OrderedDict[str, None] = OrderedDict()

    def add(self, secret: str | None) -> None:
        """Remember one more secret (the most recent 10,000 are kept)."""
        if not secret or len(secret) < 6:
            return
        self._recent[secret] = None
        self._recent.move_to_end(secret)
        while len(self._recent) > _MAX_REMEMBERED:
            self._recent.popitem(last=False)

    def redact(self, text: str) -> str:
        text = _BOT_TOKEN.sub(rf"\1:{REDACTED}", text)
        for secret in (*self._fixed, *self._recent):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(
    level: str, redactor: SecretRedactor, *, stream: TextIO | None = None
) -> logging.Handler:
    """Log to ``stream`` (stderr) through ``redactor``; quiet the chatty HTTP libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
