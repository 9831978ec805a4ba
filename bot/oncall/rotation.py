"""On-call rotations for teams: who is on call now, until when, and who comes next (issue 10).

Plain values and pure functions, for ``/rotation NAME daily|weekly HH:MM [TZ]``, ``/oncall`` and
``/cover NAME @x DURATION``. No Telegram, no database: the handlers load a team's members, its
`Rotation` and its current `Cover`, and ask `on_call`.

Every datetime passed in or returned is naive UTC (the bot's convention, as the database stores
them). Only the hand-over time is local: `Rotation.hand_over` is a wall-clock time in
`Rotation.zone`, an IANA name.

Decisions:

- **Hand-overs.** A daily rotation hands over once per local calendar day at ``hand_over``; a
  weekly one once per local week, on ``weekday`` at ``hand_over``. They are computed in local time,
  so the wall-clock time stays put across DST changes: a 09:00 Europe/Berlin hand-over is 08:00 UTC
  in winter and 07:00 UTC in summer, and a shift across a change lasts 23 or 25 hours.
- **Nonexistent local times** (spring forward): the hand-over happens at the first valid instant
  after, the end of the gap: 02:30 on 2026-03-29 in Europe/Berlin is at 03:00 CEST (01:00 UTC).
- **Repeated local times** (fall back): the first occurrence (``fold=0``): 02:30 on 2026-10-25 in
  Europe/Berlin is at 02:30 CEST (00:30 UTC), not an hour later.
- **Counting.** Every local day (daily) or every local week (weekly) has exactly one hand-over, so
  `shift_index` is date arithmetic, constant time whatever the distance to the anchor. The only
  consequence: in a zone that skipped a whole calendar day (Pacific/Apia skipped 2011-12-30), a
  hand-over at exactly the start of the skipped day moves onto the next day's hand-over, and the
  rotation advances by two members at that instant; `hand_overs` then lists that instant twice
  (so ``len(hand_overs(r, r.anchor, now)) == shift_index(r, now)`` always holds).
- **Anchor.** Member 0 is on call from the anchor (when the rotation was set) until the first
  hand-over strictly after it, which may be minutes away; the member at shift ``k`` is
  ``members[k % len(members)]``. Before the anchor, the shift is 0.
- **Covers.** A cover active at ``now`` (``starts <= now < ends``) wins, also for someone who is not
  a member (``covering=True``). The shift then lasts until ``min(cover.ends, next hand-over)``:
  a hand-over during a cover is still reported, so the bot can reschedule; the cover keeps going
  past it, so ``next_member`` is then the covering person again. A cover that has not started yet
  ends the current shift at its start.
- **No rotation:** the first member is on call, ``until`` is None unless a cover starts or ends.
  **No members:** ``member`` is None and hand-overs change nothing, so only a cover sets ``until``.
- **Parsing** reads ASCII, Persian and Arabic-Indic digits (``۰۹:۰۰``, ``٤h``), as
  `parse_duration` does for ``/call`` (`bot.core.parsing.ascii_digits`); other Unicode digits
  (``０９:００``) are refused. A span is one number and one unit (``36h``, not ``1d12h``), from
  1 minute to 30 days. Zone names are matched without regard to case and
  returned as the tz database spells them (``asia/tehran`` -> ``Asia/Tehran``); links such as
  ``Iran`` are accepted as they are; ``localtime``, ``posixrules`` and ``Factory`` are not zones
  for a team.
- **Range.** Instants between the years 1800 and 9000; times far outside it may overflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.records import ROTATION_KINDS, RotationKind
from bot.core.timezones import (
    format_local,
    parse_hhmm,
    parse_span,
    parse_zone,
    to_local,
    zone,
)

__all__ = [
    "Cover",
    "Covers",
    "OnCall",
    "Rotation",
    "active_cover",
    "anchor_keeping",
    "as_covers",
    "escalation_order",
    "format_local",
    "hand_overs",
    "next_hand_over",
    "on_call",
    "parse_hhmm",
    "parse_span",
    "parse_zone",
    "shift_index",
]

_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Rotation:
    """A team's rotation; raises ValueError for a kind, weekday, zone or anchor that cannot be."""

    kind: RotationKind
    hand_over: time  # local wall-clock time of the hand-over, in `zone`
    zone: str  # IANA name, e.g. "Asia/Tehran", "Europe/Berlin"
    weekday: int  # 0=Monday..6; for weekly: the weekday the rotation was set (local)
    anchor: datetime  # naive UTC: when the rotation was set

    def __post_init__(self) -> None:
        if self.kind not in ROTATION_KINDS:
            raise ValueError(f"rotation kind must be 'daily' or 'weekly', not {self.kind!r}")
        if self.hand_over.tzinfo is not None:
            raise ValueError("hand_over is a local wall-clock time, without tzinfo")
        if type(self.weekday) is not int or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6, not {self.weekday!r}")
        zone(self.zone)  # ValueError for a name that is not a team's zone
        if self.anchor.tzinfo is not None:
            raise ValueError("anchor must be naive UTC")


@dataclass(frozen=True)
class Cover:
    """Someone on call for the team from ``starts`` to ``ends`` (naive UTC, ``starts < ends``)."""

    member: int  # Telegram id
    starts: datetime
    ends: datetime
    #: Its row (a stable name for it, as the calendar's event UIDs); None: not stored.
    id: int | None = None

    def __post_init__(self) -> None:
        if self.starts.tzinfo is not None or self.ends.tzinfo is not None:
            raise ValueError("cover times must be naive UTC")
        if not self.starts < self.ends:
            raise ValueError("a cover must end after it starts")

    def active(self, now: datetime) -> bool:
        return self.starts <= now < self.ends


@dataclass(frozen=True)
class OnCall:
    """Who is on call at a given time, and what changes next."""

    member: int | None  # None: the team has no members (and no cover)
    until: datetime | None  # naive UTC end of this shift; None if nothing changes
    next_member: int | None  # who takes over at `until` (None when `until` is None)
    covering: bool  # member is on call because of a cover


# --- time zones -----------------------------------------------------------------------------------


def _instant(zone: ZoneInfo, day: date, at: time) -> datetime:
    """Naive UTC instant of the local wall-clock time ``at`` on ``day``: the first occurrence of a
    repeated time, the end of the gap for a time that does not exist."""
    wall = datetime.combine(day, at).replace(tzinfo=None, fold=0)
    first = wall.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(tzinfo=None)
    if first <= second:  # an ordinary time (equal), or a repeated one: fold=0 comes first
        return first
    # In a gap: fold=0 reads ``wall`` with the offset before the change (``first``, after the
    # change), fold=1 with the offset after it (``second``, before the change). The change itself,
    # the first instant whose local time is at least ``wall``, lies in (second, first]; zone
    # changes happen on whole seconds.
    low = second.replace(microsecond=0)
    high = first if first.microsecond == 0 else first.replace(microsecond=0) + _ONE_SECOND
    while high - low > _ONE_SECOND:
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if to_local(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high


# --- hand-overs -----------------------------------------------------------------------------------


def _step(rotation: Rotation) -> timedelta:
    return timedelta(days=1 if rotation.kind == "daily" else 7)


def _hand_over_at(rotation: Rotation, day: date) -> datetime:
    return _instant(zone(rotation.zone), day, rotation.hand_over)


def _last_day_at_or_before(rotation: Rotation, when: datetime) -> date:
    """The last hand-over day (local) whose hand-over is at or before ``when``."""
    day = to_local(when, zone(rotation.zone)).date() + timedelta(days=2)
    if rotation.kind == "weekly":  # the next rotation weekday on or after that day
        day += timedelta(days=(rotation.weekday - day.weekday()) % 7)
    step = _step(rotation)
    # Hand-overs never go backwards from one day to the next, and a hand-over lies at most a day
    # (a skipped day, a fall-back of a day) from its local date: a few steps at most.
    while _hand_over_at(rotation, day) > when:
        day -= step
    return day


def _day_number(rotation: Rotation, day: date) -> int:
    return day.toordinal() if rotation.kind == "daily" else day.toordinal() // 7


def hand_overs(rotation: Rotation, after: datetime, until: datetime) -> list[datetime]:
    """Hand-over instants (naive UTC) strictly after ``after``, up to and including ``until``."""
    found: list[datetime] = []
    if until <= after:
        return found
    step = _step(rotation)
    day = _last_day_at_or_before(rotation, after) + step
    while (instant := _hand_over_at(rotation, day)) <= until:
        found.append(instant)
        day += step
    return found


def next_hand_over(rotation: Rotation, after: datetime) -> datetime:
    """The first hand-over strictly after ``after`` (naive UTC)."""
    return _hand_over_at(rotation, _last_day_at_or_before(rotation, after) + _step(rotation))


def shift_index(rotation: Rotation, now: datetime) -> int:
    """The number of hand-overs in ``(rotation.anchor, now]``: 0 until the first one."""
    if now <= rotation.anchor:
        return 0
    last = _last_day_at_or_before(rotation, now)
    first = _last_day_at_or_before(rotation, rotation.anchor)
    return _day_number(rotation, last) - _day_number(rotation, first)


def anchor_keeping(rotation: Rotation, shift: int, now: datetime) -> datetime:
    """An anchor for ``rotation`` (whose own anchor is ignored) under which ``now`` is in shift
    ``shift`` (>= 0), until the first hand-over after ``now``: when a rotation's time or zone
    changes, whoever is on call stays on (``members[shift]``) until its next hand-over.

    ``now`` itself for shift 0 (as when a rotation is first set); otherwise the hand-over
    ``shift`` hand-overs back, so that ``shift_index(..., now) == shift``.
    """
    if shift <= 0:
        return now
    return _hand_over_at(rotation, _last_day_at_or_before(rotation, now) - _step(rotation) * shift)


# --- who is on call -------------------------------------------------------------------------------


#: A team's covers: several that do not overlap (one, or none, as before).
Covers = Cover | Sequence[Cover] | None


def as_covers(covers: Covers) -> tuple[Cover, ...]:
    """``covers`` as a tuple (a single cover, None, or a sequence of them)."""
    if covers is None:
        return ()
    if isinstance(covers, Cover):
        return (covers,)
    return tuple(covers)


def active_cover(covers: Covers, when: datetime) -> Cover | None:
    """The cover on at ``when``, if any (covers do not overlap; the first wins if they did)."""
    return next((c for c in as_covers(covers) if c.active(when)), None)


def _member_at(
    members: Sequence[int], rotation: Rotation | None, covers: Covers, when: datetime
) -> int | None:
    cover = active_cover(covers, when)
    if cover is not None:
        return cover.member
    if not members:
        return None
    return members[shift_index(rotation, when) % len(members) if rotation is not None else 0]


def on_call(
    members: Sequence[int], rotation: Rotation | None, cover: Covers, now: datetime
) -> OnCall:
    """Who is on call at ``now``, until when, and who takes over then (``cover``: the team's
    covers, none overlapping another)."""
    changes: list[datetime] = []
    if rotation is not None and members:
        changes.append(next_hand_over(rotation, now))
    for each in as_covers(cover):
        changes.extend(moment for moment in (each.starts, each.ends) if moment > now)
    covering = active_cover(cover, now) is not None
    member = _member_at(members, rotation, cover, now)
    if not changes:
        return OnCall(member=member, until=None, next_member=None, covering=covering)
    until = min(changes)
    return OnCall(
        member=member,
        until=until,
        next_member=_member_at(members, rotation, cover, until),
        covering=covering,
    )


def escalation_order(members: Sequence[int], first: int | None) -> list[int]:
    """The members in rotation order starting at ``first`` (the person on call), wrapping around;
    in the members' order when ``first`` is None or not a member."""
    ordered = list(members)
    if first is None or first not in ordered:
        return ordered
    start = ordered.index(first)
    return ordered[start:] + ordered[:start]


# --- parsing and formatting -----------------------------------------------------------------------
