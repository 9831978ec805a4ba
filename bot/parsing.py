"""Reading ``/call`` arguments: whom to call and for how long. No Telegram types here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .storage import UserProfile

__all__ = ["CallCommand", "CallParseError", "Mention", "parse_call", "parse_duration"]

_DURATION = re.compile(r"^(\d{1,6})\s*(s|sec|secs|m|min|mins|h|hr|hrs)?$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_BARE_MENTION = re.compile(r"^@[A-Za-z0-9_]{1,32}$")


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
    """``90s`` / ``10m`` / ``10`` (minutes) / ``1h`` -> seconds; None if it is not a duration."""
    match = _DURATION.match(token.strip())
    if match is None:
        return None
    unit = (match.group(2) or "m")[0].lower()
    seconds = int(match.group(1)) * _UNIT_SECONDS[unit]
    return seconds if seconds > 0 else None


def parse_call(
    args_text: str, mentions: list[Mention], reply_to: UserProfile | None
) -> CallCommand:
    """Whom to call: a mention wins over the replied-to message's author.

    ``args_text`` is the message text after the command; ``mentions`` the message's mention
    entities in order. Anything else in the text must be a single duration.
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
