"""Secrets never reach a log line, an argument, or a traceback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.app import redactor_for
from bot.config import load_settings
from bot.logs import SecretRedactor, configure_logging

BOT_TOKEN = "123456789:AAH-very-secret-bot-token-xyz123"


@pytest.fixture
def capture() -> Iterator[tuple[io.StringIO, SecretRedactor]]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    redactor = SecretRedactor([BOT_TOKEN, "kv-api-token-secret"])
    configure_logging("DEBUG", redactor, stream=stream)
    yield stream, redactor
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)


def test_known_secrets_and_bot_token_shapes_are_redacted(
    capture: tuple[io.StringIO, SecretRedactor],
) -> None:
    stream, redactor = capture
    log = logging.getLogger("test.redaction")
    redactor.add("9c161bd8-0f73-46b5-970b-c2866a45ec51")
    log.info("POST https://api.telegram.org/bot%s/sendMessage", BOT_TOKEN)
    log.debug("params %s", {"text": "token 9c161bd8-0f73-46b5-970b-c2866a45ec51"})
    log.warning("other bot 555555:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345 leaked")
    try:
        raise RuntimeError(f"failed with Bearer kv-api-token-secret at bot{BOT_TOKEN}")
    except RuntimeError:
        log.exception("boom")
    text = stream.getvalue()
    assert BOT_TOKEN not in text
    assert "AAH-very-secret" not in text
    assert "kv-api-token-secret" not in text
    assert "9c161bd8" not in text
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" not in text
    assert "bot123456789:***/sendMessage" in text  # the bot id stays for debugging
    assert "RuntimeError" in text and "Traceback" in text


def test_chatty_http_libraries_are_quiet(capture: tuple[io.StringIO, SecretRedactor]) -> None:
    stream, _ = capture
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s", BOT_TOKEN)
    assert stream.getvalue() == ""


def test_remembered_secrets_are_bounded_but_the_bots_own_are_kept() -> None:
    redactor = SecretRedactor(["the-api-token", "webhook-secret-value"])
    for i in range(10_050):
        redactor.add(f"secret-{i:06d}")
    assert redactor.redact("secret-010049") == "***"
    assert redactor.redact("secret-000000") == "secret-000000"  # the oldest were forgotten
    assert redactor.redact("the-api-token webhook-secret-value") == "*** ***"


def test_redactor_for_knows_every_configured_secret() -> None:
    settings = load_settings(
        _env_file=None,
        telegram_bot_token="123:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        kavenegar_api_token="kv-token-value",
        webhook_url="https://bot.example.com/hook",
        webhook_secret="w" * 40,
    )
    text = redactor_for(settings).redact(
        f"{'w' * 40} kv-token-value 123:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )
    assert text == "*** *** 123:***"
