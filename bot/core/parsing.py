"""Reading what people type: ``/call`` arguments (whom to call and for how long), and the
numbers and ids of every other command. No Telegram types here.

Digits: every typed number and time goes through `ascii_digits`, the one place that reads
Persian (U+06F0-06F9) and Arabic-Indic (U+0660-0669) digits as 0-9; every other Unicode digit
(fullwidth ``１``, superscript ``²``, Devanagari, ...) stays what it is, and is refused by the
ASCII-only patterns after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.people import UserProfile

__all__ = [
    "CallCommand",
    "CallParseError",
    "Mention",
    "ascii_digits",
    "parse_call",
    "parse_duration",
    "parse_id",
    "parse_number",
]

# re.ASCII matters twice (issue 8 item 5): ``\d`` would take any Unicode digit, and IGNORECASE
# would fold "ſ" (U+017F) to "s" and "K" (KELVIN SIGN, U+212A) to "k".
_DURATION = re.compile(r"([0-9]{1,6})\s*([a-z]{1,4})?", re.IGNORECASE | re.ASCII)
_UNIT_SECONDS = {
    "s": 1, "sec": 1, "secs": 1,
    "m": 60, "min": 60, "mins": 60,
    "h": 3600, "hr": 3600, "hrs": 3600,
}  # fmt: skip
#: Persian (U+06F0-06F9) and Arabic-Indic (U+0660-0669) digits, read as 0-9.
_DIGITS = str.maketrans(
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "01234567890123456789",
)
_BARE_MENTION = re.compile(r"^@[A-Za-z0-9_]{1,32}$")
_NUMBER = re.compile(r"[0-9]{1,18}", re.ASCII)
_ID = re.compile(r"-?[0-9]{1,19}", re.ASCII)
#: Telegram's ids (people, groups, channels) are 64-bit signed integers.
ID_MIN, ID_MAX = -(2**63), 2**63 - 1


def ascii_digits(text: str) -> str:
    """``text`` with Persian (``۰``-``۹``) and Arabic-Indic (``٠``-``٩``) digits as ASCII 0-9.

    The one normaliser of typed numbers: people type these on Persian and Arabic keyboards, so
    every command that reads a number or a time reads them (mixed with ASCII ones, too). Every
    other character is left as it is, other Unicode digits included: the ASCII-only patterns
    that read the result refuse them.
    """
    return text.translate(_DIGITS)


def parse_number(text: str, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high`` (``7``, ``۷``, ``٧``, ``007``); else None.

    Digits only (no sign, no ``_``, no spaces inside, at most 18 of them): ``²``, ``１`` and
    ``1e3`` are not numbers here, whatever ``str.isdigit`` or ``int`` say of them.
    """
    match = _NUMBER.fullmatch(ascii_digits(text.strip()))
    if match is None:
        return None
    number = int(match.group())
    return number if low <= number <= high else None


def parse_id(text: str) -> int | None:
    """A Telegram id as an admin types it: ``123456``, ``-100123``, ``۱۲۳۴۵۶``; else None.

    An optional ``-`` and ASCII, Persian or Arabic-Indic digits, within Telegram's 64-bit
    signed range and not 0. ``--5``, ``+5``, ``²`` (which ``str.isdigit`` calls a digit), ``1_0``
    and a 23-digit number are not ids, so a command answers with its usage instead of failing.
    """
    match = _ID.fullmatch(ascii_digits(text.strip()))
    if match is None:
        return None
    telegram_id = int(match.group())
    return telegram_id if telegram_id != 0 and ID_MIN <= telegram_id <= ID_MAX else None


@dataclass(frozen=True)
class Mention:
    """A mention in the message: ``@name`` (username) or a text mention (a known user)."""

    text: str
    username: str | None = None
    user: UserProfile | None = None


@dataclass(frozen=True)
class CallCommand:
    """A parsed ``/call``: exactly one callee (a username or a user) and an optional duration."""

    callee_username: str | None = None
    callee: UserProfile | None = None
    duration: int | None = None  # seconds


@dataclass
class CallParseError(Exception):
    """The command cannot be understood; ``key`` names the text that explains why."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


def parse_duration(token: str) -> int | None:
    """``90s`` / ``10m`` / ``10`` (minutes) / ``1h`` -> seconds; None if it is not a duration.

    Units are ``s sec secs m min mins h hr hrs`` in ASCII, any case; anything else (``10d``,
    ``10ſ``, ``10K`` with a KELVIN SIGN) is not a duration, so ``/call`` answers with
    ``call_bad_argument`` instead of failing (issue 8 item 5).

    Digits: ASCII, and, deliberately, Persian (``۱۰m``) and Arabic-Indic (``١٠m``) digits, which
    people type on Persian and Arabic keyboards; they are read as 0-9, even mixed with ASCII
    ones. Every other Unicode digit (fullwidth ``１０``, Devanagari, Bengali, ...) is refused:
    nobody types them for a call length, and accepting them would only let lookalikes through.
    """
    match = _DURATION.fullmatch(ascii_digits(token.strip()))
    if match is None:
        return None
    unit_seconds = _UNIT_SECONDS.get((match.group(2) or "m").lower())
    if unit_seconds is None:
        return None
    seconds = int(match.group(1)) * unit_seconds
    return seconds if seconds > 0 else None


def parse_call(
    args_text: str, mentions: list[Mention], reply_to: UserProfile | None
) -> CallCommand:
    """Whom to call: a mention wins over the replied-to message's author.

    ``args_text`` is the message text after the command; ``mentions`` the message's mention
    entities in order. Anything else in the text must be a single duration.

    Whatever the text, the result is a :class:`CallCommand` or a :class:`CallParseError` whose
    key is ``call_bad_argument``, ``call_too_many`` or ``call_no_callee``; never another
    exception, which would leave the user without a reply (issue 8 item 5).
    """
    rest = args_text
    for mention in mentions:
        rest = rest.replace(mention.text, " ", 1)
    mentions = list(mentions)
    duration: int | None = None
    for token in rest.split():
        if _BARE_MENTION.match(token):  # "@name" the client did not mark as a mention
            mentions.append(Mention(text=token, username=token[1:]))
            continue
        seconds = parse_duration(token)
        if seconds is None or duration is not None:
            raise CallParseError("call_bad_argument", {"arg": token[:40]})
        duration = seconds
    if len(mentions) > 1:
        raise CallParseError("call_too_many")
    if mentions:
        mention = mentions[0]
        if mention.user is not None:
            return CallCommand(callee=mention.user, duration=duration)
        return CallCommand(callee_username=mention.username, duration=duration)
    if reply_to is not None:
        return CallCommand(callee=reply_to, duration=duration)
    raise CallParseError("call_no_callee")
