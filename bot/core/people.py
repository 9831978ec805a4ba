"""People as the bot knows them: what an update says of a sender, and what the registry holds.

Plain values, free of Telegram and database types, so parsing, the call flow and storage share
them. Names are shown as their owners typed them, with two defences against names that would
mislead: a name with no visible character (spaces, zero-width characters, U+3164 HANGUL FILLER)
falls back to ``@username``, then to the numeric id; and bidirectional control characters are
dropped, while every name inserted into a text is wrapped in a Unicode isolate (U+2068 … U+2069),
so a right-to-left name neither reverses nor swallows the sentence around it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["FSI", "PDI", "UserProfile", "UserRecord", "isolate", "visible_name"]

#: FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: a name keeps its own direction inside them.
FSI, PDI = "\u2068", "\u2069"
#: Bidirectional embeddings, overrides, isolates and marks: a name may not carry its own.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
#: Characters that render as nothing although Unicode calls them letters or symbols.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")


def _has_visible(text: str) -> bool:
    for char in text:
        if char in _INVISIBLE or char.isspace():
            continue
        if unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me", "Cn", "Co"):
            continue
        return True
    return False


def visible_name(
    first_name: str, last_name: str | None, username: str | None, telegram_id: int
) -> str:
    """ "First Last" without bidi controls; ``@username`` or the id when nothing would show."""
    full = " ".join(p for p in (first_name, last_name) if p).translate(_BIDI_CONTROLS).strip()
    if _has_visible(full):
        return full
    if username:
        return f"@{username}"
    return str(telegram_id)


def isolate(text: str) -> str:
    """``text`` inside a first-strong isolate: safe to put in a sentence of either direction."""
    return f"{FSI}{text}{PDI}"


@dataclass(frozen=True)
class UserProfile:
    """What a Telegram update tells us about its sender."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @classmethod
    def from_attributes(cls, source: Any, *, telegram_id: int) -> UserProfile:
        """A profile from anything with these attributes: a Telegram ``User``, a database row."""
        return cls(
            telegram_id=telegram_id,
            first_name=source.first_name,
            last_name=source.last_name,
            username=source.username,
            language_code=source.language_code,
            is_bot=source.is_bot,
        )

    @property
    def name(self) -> str:
        """The name as it reads on its own (Kavenegar's display name, logs)."""
        return visible_name(self.first_name, self.last_name, self.username, self.telegram_id)

    @property
    def display_name(self) -> str:
        """The name to insert into a sentence: visible, and isolated from the text around it."""
        return isolate(self.name)


@dataclass(frozen=True)
class UserRecord:
    """A known person: their latest profile and what the registry keeps about them."""

    profile: UserProfile
    kavenegar_username: str
    platform: str | None = None
    #: Telegram lets the bot write to them (they pressed Start and did not block it since).
    dm_open: bool = False
    #: They pressed Start since the record was made: consent to be called. ``/forget`` ends it.
    started: bool = False
    dnd: bool = False
    #: An admin decided they may not be called (kept by Telegram id, beyond ``/forget``).
    uncallable: bool = False
    #: Their own number, verified through Telegram's "share my number" (E.164), if any.
    phone: str | None = None

    @property
    def telegram_id(self) -> int:
        return self.profile.telegram_id

    @property
    def username(self) -> str | None:
        return self.profile.username

    @property
    def language_code(self) -> str | None:
        return self.profile.language_code

    @property
    def is_bot(self) -> bool:
        return self.profile.is_bot

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def display_name(self) -> str:
        return self.profile.display_name

    @property
    def reachable(self) -> bool:
        """The bot may send them a token: they pressed Start and Telegram lets it write."""
        return self.started and self.dm_open

    def why_not_ringable(self, *, phones_required: bool) -> str | None:
        """Why they cannot be rung now (a ``ready_*`` text key's suffix); None if they can."""
        if not self.started:
            return "not_started"
        if self.uncallable:
            return "uncallable"
        if self.dnd:
            return "dnd"
        if not self.dm_open:
            return "blocked"
        if phones_required and self.phone is None:
            return "no_phone"
        return None
