"""Secret redaction of one log line with 10,000 remembered access tokens (issue 12).

The redactor runs inside the event loop for every log line, so its cost must follow the line's
length, not the number of secrets it knows. The goal is at most 50 µs for a 700-character line.
"""

from __future__ import annotations

import html
import random
import timeit
import uuid

from bot.core.logs import SecretRedactor

GOAL_US = 50.0
REMEMBERED = 10_000
LINE_LENGTH = 700
BOT_TOKEN = "777000111:BENCH-bot-token-not-a-secret-0000000000"


def _line(rng: random.Random, token: str | None) -> str:
    """A python-telegram-bot DEBUG line of LINE_LENGTH characters, holding ``token`` if given."""
    body = (
        f"Alice ({rng.randrange(10**9)}) is calling you. Your access token: "
        f"<code>{html.escape(token if token else str(uuid.UUID(int=rng.getrandbits(128))))}</code>"
        " Join from the app within one minute. "
    )
    head = "telegram.ext.ExtBot: Calling Bot API endpoint `sendMessage` with parameters `{"
    line = f"{head}'chat_id': {rng.randrange(10**9)}, 'text': {body!r}, 'parse_mode': 'HTML', "
    filler = "'reply_markup': None, 'link_preview_options': {'is_disabled': True}, "
    while len(line) < LINE_LENGTH - 2:
        line += filler
    return line[: LINE_LENGTH - 2] + "}`"


def _microseconds(redactor: SecretRedactor, line: str) -> float:
    timer = timeit.Timer(lambda: redactor.redact(line))
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=loops)) / loops * 1e6


def main() -> None:
    rng = random.Random(12)
    redactor = SecretRedactor([BOT_TOKEN, str(uuid.UUID(int=rng.getrandbits(128))), "w" * 40])
    tokens = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(REMEMBERED)]
    # A few tokens with characters that HTML and URL quoting change: several forms each.
    tokens[::500] = [f"{token}&<+/=\"'" for token in tokens[::500]]
    began = timeit.default_timer()
    for token in tokens:
        redactor.add(token)
    added = (timeit.default_timer() - began) / REMEMBERED * 1e6
    clean = _line(rng, None)
    holding = _line(rng, tokens[-1])
    assert redactor.redact(clean) == clean
    assert tokens[-1] not in redactor.redact(holding)
    print(f"{REMEMBERED} remembered tokens; add(): {added:.1f} µs a token")
    for label, line in (("no secret", clean), ("one token", holding)):
        us = _microseconds(redactor, line)
        print(
            f"redact() of a {len(line)}-character line, {label}: {us:.1f} µs"
            f" = {us / GOAL_US:.2f} of the {GOAL_US:.0f} µs goal"
        )


if __name__ == "__main__":
    main()
