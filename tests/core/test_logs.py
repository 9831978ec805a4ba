"""Secrets never reach a log line, an argument, or a traceback."""

from __future__ import annotations

import html
import io
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from bot.core.logs import REDACTED, SecretRedactor, configure_logging

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
    # Imported here: the rest of this module only needs bot.core.logs.
    from bot.app import redactor_for
    from bot.config import load_settings

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


#: An access token holding every character the escapings change, a backslash and a non-ASCII one.
NASTY = "Tk&<b>+/=\"x'y z\\w-ü-7f3a"
#: The forms the bot itself writes (issue 8 item 14): <code> in HTML, join links, JSON.
ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda token: token,
    "html.escape(quote=False)": lambda token: html.escape(token, quote=False),
    "html.escape": html.escape,
    'quote(safe="")': lambda token: quote(token, safe=""),
    "quote": quote,
    "quote_plus": quote_plus,
    "json string": lambda token: json.dumps(token)[1:-1],
}


def _leaks(text: str, token: str) -> list[str]:
    return [name for name, encode in ENCODINGS.items() if encode(token) in text]


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_each_form_of_a_token_is_redacted_in_messages_and_tracebacks(
    capture: tuple[io.StringIO, SecretRedactor], name: str
) -> None:
    """Issue 8 item 14: escaped and URL-quoted access tokens reach DEBUG logs."""
    stream, redactor = capture
    redactor.add(NASTY)
    form = ENCODINGS[name](NASTY)
    log = logging.getLogger("test.redaction")
    log.debug("Calling sendMessage with parameters %s", {"text": f"<code>{form}</code>"})
    log.debug("join https://app.example.com/call/c1/%s now", form)
    try:
        raise ValueError(f"bad link /call/c1/{form}?x=1")
    except ValueError:
        log.exception("failed")
    text = stream.getvalue()
    assert _leaks(text, NASTY) == []
    assert "Tk&" not in text and "Tk%26" not in text and "-7f3a" not in text
    assert f"<code>{REDACTED}</code>" in text
    assert f"/call/c1/{REDACTED} now" in text
    assert f"/call/c1/{REDACTED}?x=1" in text
    assert "Traceback" in text and "ValueError" in text


def test_each_form_of_a_fixed_secret_is_redacted() -> None:
    """Issue 8 item 14: the bot's own secrets are redacted in every form too."""
    redactor = SecretRedactor([NASTY, "kv-api-token-secret"])
    for name, encode in ENCODINGS.items():
        assert redactor.redact(f"[{encode(NASTY)}]") == f"[{REDACTED}]", name
    assert redactor.redact(repr({"text": f"<code>{html.escape(NASTY)}</code>"})) == (
        f"{{'text': '<code>{REDACTED}</code>'}}"
    )


def test_repr_of_a_message_holding_a_token_is_redacted() -> None:
    """Issue 8 item 14: python-telegram-bot logs parameters as a dict, so repr escapes apply."""
    redactor = SecretRedactor()
    token = 'it\'s-a-"quoted"-token\\x'
    redactor.add(token)
    for message in (f"<code>{token}</code>", f"<code>{html.escape(token, quote=False)}</code>"):
        logged = redactor.redact(repr({"text": f"Alice's call: {message}"}))
        assert "quoted" not in logged, logged
        assert f"<code>{REDACTED}</code>" in logged


def test_a_token_in_a_logged_request_body_is_redacted() -> None:
    """Issue 8 item 14: a JSON request body logged as bytes holds the token's HTML and URL forms."""
    redactor = SecretRedactor()
    redactor.add(NASTY)
    for ensure_ascii in (True, False):
        body = json.dumps(
            {
                "text": f"<code>{html.escape(NASTY, quote=False)}</code> or <code>"
                f"{html.escape(NASTY)}</code>",
                "url": f"https://app.example.com/call/c1/{quote(NASTY, safe='')}",
            },
            ensure_ascii=ensure_ascii,
        ).encode()
        logged = redactor.redact(f"body {body!r}")
        assert "Tk" not in logged and "7f3a" not in logged, logged
        assert logged.count(REDACTED) == 3


def test_a_token_no_link_can_hold_is_still_redacted() -> None:
    """Issue 8 item 14: a token URL quoting rejects (a lone surrogate) is learned, not an error."""
    redactor = SecretRedactor()
    redactor.add("bad-\udc80-token")
    assert redactor.redact("[bad-\udc80-token]") == f"[{REDACTED}]"


def test_a_token_that_is_a_prefix_of_another_is_redacted_whole() -> None:
    """Issue 12: the longest match wins; no tail of the longer token is left behind."""
    short, long = "abcdef-123456", "abcdef-123456-extra-part"
    for order in ((short, long), (long, short)):
        redactor = SecretRedactor()
        for token in order:
            redactor.add(token)
        assert redactor.redact(f"x {long} y {short} z {long}.") == "x *** y *** z ***."
        assert "extra" not in redactor.redact(quote_plus(f"{long}"))


def test_overlapping_tokens_are_redacted_together() -> None:
    """Issue 12: two tokens sharing characters in a line are both hidden, not just the first."""
    redactor = SecretRedactor()
    redactor.add("left-token-0123")
    redactor.add("0123-right-token")
    assert redactor.redact("<left-token-0123-right-token>") == "<***>"


def test_many_tokens_oldest_evicted_newest_all_redacted() -> None:
    """Issue 12: 20,000 tokens learned; the newest 10,000 are all redacted, the oldest are not."""
    redactor = SecretRedactor(["the-api-token"])
    tokens = [f"{i:08x}-{(i * 2654435761) % 2**32:08x}-token" for i in range(20_000)]
    for token in tokens:
        redactor.add(token)
    for token in tokens[:10_000]:
        assert redactor.redact(f"t={token};") == f"t={token};"
    for token in tokens[10_000:]:
        assert redactor.redact(f"t={token};") == f"t={REDACTED};"
    line = " ".join([*tokens[-50:], "the-api-token"])
    assert redactor.redact(line) == " ".join([REDACTED] * 51)


def test_re_adding_a_token_keeps_it_among_the_most_recent() -> None:
    """Issue 12: a token added again is not evicted as if it were old."""
    redactor = SecretRedactor()
    redactor.add("first-token-kept")
    for i in range(9_999):
        redactor.add(f"filler-token-{i:05d}")
    redactor.add("first-token-kept")
    redactor.add("one-more-token")
    assert redactor.redact("first-token-kept") == REDACTED
    assert redactor.redact("filler-token-00000") == "filler-token-00000"


def test_tokens_added_after_redacting_are_redacted_at_once() -> None:
    """Issue 12: what redact already looked at never hides a token learned since."""
    redactor = SecretRedactor(["kv-api-token-secret"])
    for i in range(1_000):
        redactor.add(f"warm-token-{i:06d}")
    assert redactor.redact("nothing to hide here") == "nothing to hide here"
    for i in range(100):
        token = f"new-{i}-9c161bd8-0f73-46b5"
        redactor.add(token)
        assert redactor.redact(f"token {token}!") == f"token {REDACTED}!"
    assert redactor.redact("warm-token-000000 warm-token-000999") == "*** ***"


def test_tokens_sharing_a_long_prefix_are_all_redacted() -> None:
    """Issue 12: JWT-like tokens with a common header are found, and the header alone is not."""
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    redactor = SecretRedactor()
    tokens = [f"{header}{i:04d}payload{i * 7919:08d}" for i in range(300)]
    for token in tokens:
        redactor.add(token)
    for token in tokens:
        assert redactor.redact(f"Bearer {token}") == f"Bearer {REDACTED}"
    assert redactor.redact(f"Bearer {header}") == f"Bearer {header}"


def test_a_secret_inside_a_bot_token_shape_is_not_shown_as_its_bot_id() -> None:
    """Issue 8 item 14: a bot-token shape keeps its id only when that id is no known secret."""
    redactor = SecretRedactor(["123456789:AAH-very-secret-bot-token-xyz123"])
    redactor.add("424242")
    assert redactor.redact("bot424242:ABCDEFGHIJKLMNOPQRSTUVWXYZ/getMe") == "bot***/getMe"
    assert redactor.redact("bot555555:ABCDEFGHIJKLMNOPQRSTUVWXYZ/getMe") == ("bot555555:***/getMe")
    assert redactor.redact("bot123456789:AAH-very-secret-bot-token-xyz123/getMe") == (
        "bot123456789:***/getMe"
    )
    assert "AAH" not in redactor.redact(quote("123456789:AAH-very-secret-bot-token-xyz123", ""))


def test_redaction_matches_a_plain_search_for_every_occurrence() -> None:
    """Issue 12: the indexed search finds exactly what trying every token everywhere finds."""
    rng = random.Random(8_14)
    for _ in range(200):
        redactor = SecretRedactor()
        tokens = {"".join(rng.choice("ab-") for _ in range(rng.randint(6, 24))) for _ in range(8)}
        for token in tokens:
            redactor.add(token)
        text = "".join(rng.choice([*tokens, "a", "b", "-", " ", "xy"]) for _ in range(30))
        covered = [False] * len(text)
        for token in tokens:
            at = text.find(token)
            while at != -1:
                covered[at : at + len(token)] = [True] * len(token)
                at = text.find(token, at + 1)
        redacted = redactor.redact(text)
        # Every character of an occurrence is gone; everything else is kept, in order.
        assert redacted.replace(REDACTED, "") == "".join(
            char for char, hidden in zip(text, covered, strict=True) if not hidden
        )
        assert (REDACTED in redacted) == any(covered)


def test_redacting_while_another_thread_adds_tokens() -> None:
    """Issue 12: the index is shared with threads that log (aiosqlite, executors) safely."""
    redactor = SecretRedactor()
    tokens = [f"thread-token-{i:06d}-abcdef" for i in range(12_000)]

    def add_all() -> None:
        for token in tokens:
            redactor.add(token)

    adder = threading.Thread(target=add_all)
    adder.start()
    line = f"{tokens[0]} {tokens[-1]} " * 20
    while adder.is_alive():
        redactor.redact(line)
    adder.join()
    assert redactor.redact(line) == f"{tokens[0]} *** " * 20


@pytest.fixture
def json_capture() -> Iterator[tuple[io.StringIO, SecretRedactor]]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    redactor = SecretRedactor([BOT_TOKEN, "kv-api-token-secret"])
    configure_logging("INFO", redactor, stream=stream, json_lines=True)
    yield stream, redactor
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)


def test_json_lines_carry_the_ids_and_no_secret(
    json_capture: tuple[io.StringIO, SecretRedactor],
) -> None:
    """Issue 20 item 5: one JSON object per line, ids where known, redacted like text lines."""
    stream, redactor = json_capture
    redactor.add("access-token-of-bob")
    log = logging.getLogger("bot.calls.service")
    log.info("call %s created for access-token-of-bob", 7, extra={"call_id": 7})
    try:
        raise ValueError(f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage")
    except ValueError:
        log.exception("update %s failed", 42, extra={"update_id": 42})
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "bot.calls.service"
    assert first["call_id"] == 7 and "update_id" not in first
    assert first["message"] == f"call 7 created for {REDACTED}"
    assert first["time"].endswith("+00:00")
    assert second["update_id"] == 42 and "ValueError" in second["exception"]
    assert BOT_TOKEN not in stream.getvalue() and "access-token-of-bob" not in stream.getvalue()
