"""The one codec of inline buttons' ``callback_data``, and what a press is answered with.

Every button the bot issues is a :class:`PressKind` and one or two numbers, written as the
kind's prefix and the numbers joined by ``:`` (``again:42``, ``ring:a:42``, ``line:r:7:5``).
That wire format is what buttons already sent carry, so it never changes: a new kind gets a new
prefix instead. :func:`encode` is the only code that writes it and :func:`decode` the only code
that reads it; :func:`decode` takes exactly the shapes :func:`encode` writes (ids of 1-18
digits, stars 1-5) and nothing else, as a forged or garbled press may send anything.

The handlers route a press to its feature with :func:`matching` (a ``CallbackQueryHandler``
pattern); the features act on the decoded :class:`Press` and answer with a :class:`PressAnswer`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from bot.core.texts import t

__all__ = [
    "MAX_DATA_BYTES",
    "NOT_YOURS",
    "UNKNOWN",
    "Press",
    "PressAnswer",
    "PressKind",
    "decode",
    "encode",
    "matching",
]

#: Telegram's limit on a button's ``callback_data``, in bytes (UTF-8).
MAX_DATA_BYTES = 64


@dataclass(frozen=True)
class _Number:
    """One number of a button's data: how it is written, and the values it may take."""

    pattern: str
    low: int
    high: int  # inclusive


#: A row id (a call, a line offer, a line request).
_ID = _Number("[0-9]{1,18}", 0, 10**18 - 1)
#: A rating.
_STARS = _Number("[1-5]", 1, 5)


class PressKind(Enum):
    """Every kind of inline button the bot issues; the value is its data's prefix."""

    #: "Call again" under a call that did not connect: the call's row id.
    CALL_AGAIN = "again"
    #: A ring's "Answer" and "Decline" (``CALL_FLOW=ring``): the call's row id.
    RING_ANSWER = "ring:a"
    RING_DECLINE = "ring:d"
    #: A support line's offer, "Accept": the offer's id.
    LINE_ACCEPT = "line:a"
    #: A support line's "Call me back": the request's id.
    LINE_CALL_BACK = "line:b"
    #: A support line's rating after a call: the request's id and 1-5 stars.
    LINE_RATE = "line:r"
    #: A page's "I'm on it" under the token message of the person rung: the call's row id.
    PAGE_ACK = "page:k"
    #: "Call now" under ``/oncall`` and a hand-over notice: the team's id, then the Telegram id
    #: of the member the button names (it calls that one only).
    CALL_NOW = "oncall:n"
    #: A shift swap's "Take": the request's id.
    SWAP_TAKE = "swap:t"

    @property
    def numbers(self) -> tuple[_Number, ...]:
        if self is PressKind.LINE_RATE:
            return (_ID, _STARS)
        return (_ID, _ID) if self is PressKind.CALL_NOW else (_ID,)


_SHAPES = {
    kind: re.compile(re.escape(kind.value) + "".join(f":({n.pattern})" for n in kind.numbers))
    for kind in PressKind
}


@dataclass(frozen=True)
class Press:
    """A decoded press: the kind of button, the row it is about and, for a rating, the stars;
    for a "Call now", the member it names."""

    kind: PressKind
    id: int
    stars: int | None = None
    member: int | None = None

    @property
    def data(self) -> str:
        """The ``callback_data`` of this press's button (see :func:`encode`)."""
        extra = tuple(n for n in (self.stars, self.member) if n is not None)
        return encode(self.kind, self.id, *extra)


def encode(kind: PressKind, *numbers: int) -> str:
    """The ``callback_data`` of a button of ``kind`` about ``numbers`` (the row id, then, for a
    rating, the stars); ValueError for numbers the kind does not take."""
    if len(numbers) != len(kind.numbers):
        raise ValueError(f"{kind.name} takes {len(kind.numbers)} number(s), not {len(numbers)}")
    for number, spec in zip(numbers, kind.numbers, strict=True):
        if isinstance(number, bool) or not isinstance(number, int):
            raise ValueError(f"{kind.name}: {number!r} is not a whole number")
        if not spec.low <= number <= spec.high:
            raise ValueError(f"{kind.name}: {number} is not within {spec.low}-{spec.high}")
    data = ":".join((kind.value, *map(str, numbers)))
    assert len(data.encode()) <= MAX_DATA_BYTES  # 9 + 18 + 1 + 18 bytes at most
    return data


def decode(data: object) -> Press | None:
    """The press ``data`` stands for, or None for anything :func:`encode` does not write
    (garbage, other shapes, numbers out of range, too long, not a string)."""
    if not isinstance(data, str) or len(data) > MAX_DATA_BYTES:
        return None
    for kind, shape in _SHAPES.items():
        match = shape.fullmatch(data)
        if match is not None:
            numbers = [int(n) for n in match.groups()]
            if kind is PressKind.CALL_NOW:
                return Press(kind, numbers[0], member=numbers[1])
            return Press(kind, *numbers)
    return None


def matching(kinds: Iterable[PressKind]) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern: does the data decode to a press of one of ``kinds``?"""
    wanted = frozenset(kinds)

    def pattern(data: object) -> bool:
        press = decode(data)
        return press is not None and press.kind in wanted

    return pattern


@dataclass(frozen=True)
class PressAnswer:
    """What to answer a press with: a toast, or an alert the person must dismiss."""

    key: str
    alert: bool = False
    params: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(lang, self.key, **self.params)


#: A press of data the bot did not issue, or about something it does not know (any more).
UNKNOWN = PressAnswer("callback_unknown", alert=True)
#: A press of a button meant for someone else.
NOT_YOURS = PressAnswer("callback_not_yours", alert=True)
