"""Quiet hours of a team: when ``/page`` calls nobody (issue 22, item 3).

``/team quiet NAME 22:00-08:00 [weekend] [urgent-only]`` sets them, ``/team quiet NAME off`` ends
them.
Plain values and pure functions, like :mod:`bot.oncall.rotation`; every instant is naive UTC and
the hours are local wall-clock times in the team's zone (``/team zone``).

Decisions:

- **A span, every day.** ``HH:MM-HH:MM``, and it may cross midnight: ``22:00-08:00`` is quiet
  from 22:00 to 08:00 the next morning, every day of the week; ``00:00-24:00`` is not a span
  (a team that never wants calls has no one to page). The start is in, the end is out.
- **The weekend**, with ``weekend``, is quiet all day as well: the two days before the week
  starts in the team's zone (:func:`bot.core.timezones.first_weekday`): Thursday and Friday in
  Iran's Saturday-first week (Asia/Tehran, the default zone), Saturday and Sunday elsewhere.
- **Local time.** Across a DST change the span stays put in local time (it is read from the
  local wall clock), as hand-overs do.
- **Digits.** ASCII, Persian and Arabic-Indic digits are read alike (``۲۲:۰۰-۰۸:۰۰``); the dash
  may be ``-``, ``–`` or ``—``.
- **What a page does in them** (:mod:`bot.oncall.paging`): no call; the person on call is told
  privately and the group is told so. ``urgent-only``: a page whose reason starts with
  ``urgent`` (or ``فوری``) still calls. A team with an after-hours team
  (``/team after-hours NAME OTHER``) pages that team instead, unless it is quiet too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time

from bot.core.records import Team
from bot.core.timezones import first_weekday, parse_hhmm, to_local, zone

__all__ = [
    "URGENT_WORDS",
    "QuietHours",
    "after_hours_allowed",
    "is_urgent",
    "parse_quiet",
    "quiet_hours",
    "weekend_days",
]

_DASH = re.compile(r"\s*[-–—]\s*")
#: The first word of a page's reason that makes it urgent.
URGENT_WORDS = frozenset({"urgent", "فوری"})


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` (local; ``end < start`` crosses midnight), every day."""

    start: time
    end: time
    #: The weekend (:func:`weekend_days`) is quiet all day too.
    weekend: bool = False

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must not start when they end")

    def covers(self, when: datetime, zone_name: str) -> bool:
        """Is ``when`` (naive UTC) inside them, in zone ``zone_name``?"""
        local = to_local(when, zone(zone_name))
        if self.weekend and local.weekday() in weekend_days(zone_name):
            return True
        clock = local.time()
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def describe(self) -> str:
        """``22:00-08:00``: as stored and shown."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet(text: str) -> QuietHours | None:
    """``22:00-08:00`` (or ``۲۲:۰۰–۰۸:۰۰``) -> quiet hours; None for anything else."""
    parts = _DASH.split(text.strip())
    if len(parts) != 2:
        return None
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start is None or end is None or start == end:
        return None
    return QuietHours(start, end)


def quiet_hours(team: Team) -> QuietHours | None:
    """The team's quiet hours, if it has any."""
    if team.quiet_start is None or team.quiet_end is None:
        return None
    hours = parse_quiet(f"{team.quiet_start}-{team.quiet_end}")
    return None if hours is None else replace(hours, weekend=team.quiet_weekend)


def weekend_days(zone_name: str) -> tuple[int, int]:
    """The weekend in zone ``zone_name`` (0 = Monday): the two days before its week starts,
    Thursday and Friday in Iran, Saturday and Sunday where the week starts on Monday."""
    first = first_weekday(zone_name)
    return ((first - 2) % 7, (first - 1) % 7)


def is_urgent(reason: str | None) -> bool:
    """A page's reason starting with ``urgent`` (any case) or ``فوری``."""
    words = (reason or "").split(None, 1)
    return bool(words) and words[0].lower().strip(":,!.") in URGENT_WORDS


def after_hours_allowed(team: Team, other: Team) -> bool:
    """May a page of ``team`` in its quiet hours go to ``other``? Only a team of the same group
    (whose people are paged from there anyway) or of the same owner (who manages both); checked
    when it is set and again at each page (a team moved, or handed to another owner, since)."""
    return other.chat_id == team.chat_id or other.owner_id == team.owner_id
