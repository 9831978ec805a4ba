"""The schedule as an iCalendar file (RFC 5545) that phones and desktop calendars import: one
event per shift, in the team's zone with its ``VTIMEZONE`` (issue 22, item 4).

Made with the ``icalendar`` library. Each event's ``UID`` names what the event is, the same in
every export, so importing a newer file updates the events it already has: a cover's is its row
id; a rotation shift's is the team and the slot's nominal start (its hand-over), however covers
cut it (a later part of a cut shift adds ``-2``); a team without a rotation has one open-ended
event, ``team-N-open``, which ends at the end of the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.core.records import Team
from bot.oncall.schedule import Shift

__all__ = ["PRODID", "calendar_file"]

PRODID = "-//kavenegar-call-bot//on call//EN"


def calendar_file(
    team: Team,
    schedule: Sequence[Shift],
    names: Mapping[int, str],
    *,
    until: datetime,
    made_at: datetime,
    cover_word: str = "cover",
) -> bytes:
    """The ``.ics`` of ``schedule`` (naive UTC shifts); ``names``: each member's shown name."""
    zone = ZoneInfo(team.zone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{team.name} on call")
    calendar.add("x-wr-timezone", team.zone)
    stamp = made_at.replace(tzinfo=UTC)
    seen: dict[str, int] = {}
    for shift in schedule:
        event = Event()
        name = names.get(shift.member, str(shift.member))
        summary = f"{team.name}: {name}" + (f" ({cover_word})" if shift.covering else "")
        uid = _uid(team, shift)
        seen[uid] = seen.get(uid, 0) + 1
        if seen[uid] > 1:  # a rotation's shift a cover cuts in two: its later part
            uid = f"{uid}-{seen[uid]}"
        event.add("uid", f"{uid}@kavenegar-call-bot")
        event.add("dtstamp", stamp)
        event.add("summary", summary)
        event.add("dtstart", _local(shift.starts, zone))
        event.add("dtend", _local(shift.ends or until, zone))
        event.add("transp", "TRANSPARENT")  # being on call does not make anyone busy
        calendar.add_component(event)
    # the team's VTIMEZONE, from the tz database, for the years the schedule spans
    first, last = made_at.date() - timedelta(days=366), until.date() + timedelta(days=366)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    ics: bytes = calendar.to_ical()
    return ics


def _uid(team: Team, shift: Shift) -> str:
    """What the event is, the same in every export: a cover's row, or the rotation's slot (the
    shift's nominal start, whatever covers cut from it); without a rotation, the team's one
    open-ended shift."""
    if shift.cover_id is not None:
        return f"team-{team.id}-cover-{shift.cover_id}"
    if shift.covering:  # (a cover not stored: named by its start)
        return f"team-{team.id}-cover-at-{shift.starts:%Y%m%dT%H%M%SZ}"
    if shift.slot is None:
        return f"team-{team.id}-open"
    return f"team-{team.id}-shift-{shift.slot:%Y%m%dT%H%M%SZ}"


def _local(when: datetime, zone: ZoneInfo) -> datetime:
    return when.replace(tzinfo=UTC).astimezone(zone)
