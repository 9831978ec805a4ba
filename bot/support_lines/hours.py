"""Opening hours of a support line: when ``/line NAME on [HOURS]`` lets calls through.

Plain values and pure functions, like `bot.oncall.rotation`: a team owner types the hours,
`parse_hours`
reads them, the store keeps `Hours.describe`, and the handlers ask `Hours.is_open` and
`Hours.next_open` with the team's IANA zone. Every datetime passed in or returned is naive UTC
(the bot's convention, as the database stores them); the hours themselves are local wall-clock
times in the team's zone.

Grammar (case-insensitive, extra whitespace anywhere between the parts tolerated; digits in
ASCII, Persian or Arabic-Indic, ``sat-wed ۰۹:۰۰-۱۷:۰۰``, read by `ascii_digits`)::

    HOURS  := "" | "always" | "24/7" | DAYS | WINDOW | DAYS WINDOW
    DAYS   := ITEM ("," ITEM)*          ITEM := DAY | DAY "-" DAY
    WINDOW := CLOCK "-" CLOCK           CLOCK := H:MM | HH:MM   (00:00 to 23:59; 24:00 as end only)
    DAY    := sat sun mon tue wed thu fri, or the full English names (saturday, ...)

``sat-wed 09:00-17:00``, ``sun,tue 8:30-12:00``, ``fri-mon`` (all day), ``09:00-17:00`` (every
day), ``mon 00:00-24:00``; an empty text, ``always`` and ``24/7`` mean always open (`ALWAYS`).

Decisions:

- **Saturday-first week.** The bot's default zone is Asia/Tehran, where the week starts on Saturday
  and ends on Friday, so `Hours.describe` lists days from Saturday: ``sat-wed``, not
  ``mon-wed,sat-sun``. A range is inclusive and wraps around the week in any case: ``fri-mon`` is
  Fri, Sat, Sun, Mon and ``sat-wed`` is Sat to Wed; ``wed-wed`` is Wednesday alone. ``describe``
  merges the days across Friday-Saturday too (``thu-sat``), so it stays as short as what was typed.
- **No overnight windows.** The end must be after the start on the same day: ``22:00-06:00`` is
  refused, so a window always belongs to the weekday it starts on and the days stay unambiguous.
  A night shift is two windows' worth of days, which one `Hours` does not express; ``24/7`` or a
  day range without times covers whole days.
- **24:00** is the end of the day, `Hours.end` is None then; it is refused as a start, and
  ``00:00`` as an end (it is never after the start).
- **Open** at an instant when its local wall-clock time, in the team's zone, is on one of the days
  and ``start <= time < end``. Across DST changes the window stays put in local time: on the day
  Europe/Berlin springs forward (02:00 -> 03:00), ``02:00-04:00`` opens at 03:00 CEST, the end of
  the gap; on the day it falls back, a repeated local hour inside the window is open twice.
- **Next opening** is searched at most 15 days ahead. A week and a day are enough for any valid
  `Hours` except one whose only opening that week lies entirely inside a DST gap
  (``sun 00:00-00:30`` in Asia/Beirut, which springs forward from Sunday 00:00 to 01:00): it opens
  a week later, up to 14 days from now. Zones change their offset at most twice a year, so two
  weeks always do.
- **Parsing** reads Persian and Arabic-Indic digits as 0-9 (`bot.core.parsing.ascii_digits`), as
  every typed number in the bot; day names are English, and anything else that is not ASCII
  (fullwidth digits, Persian day names) is refused. The text may be at most 200 characters.
  `parse_hours` returns None for anything it cannot read.
- **Shown** to a reader (`Hours.show`) in their language (Persian weekday names and digits for
  ``fa``), with the week starting where the team's zone starts it (`first_weekday`: Saturday in
  Asia/Tehran, the default zone; Monday elsewhere). `Hours.describe` stays the canonical text
  kept by the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.parsing import ascii_digits
from bot.core.texts import t
from bot.core.timezones import (
    SATURDAY,
    first_weekday,
    local_digits,
    to_local,
    weekday_name,
    zone as _zone,
)

__all__ = ["ALWAYS", "Hours", "parse_hours"]

_MAX_LENGTH = 200
_SEARCH = timedelta(days=15)
_ONE_SECOND = timedelta(seconds=1)
_SAMPLE = timedelta(hours=1)  # zone changes are assumed to be at least this far apart
_MINUTES_PER_DAY = 24 * 60
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)
_AROUND_PUNCTUATION = re.compile(r"\s*([,-])\s*")
_ALWAYS_WORDS = frozenset({"", "always", "24/7"})
_ALL_DAYS = frozenset(range(7))
_SHORT_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NUMBERS = {
    name: day for names in (_SHORT_NAMES, _FULL_NAMES) for day, name in enumerate(names)
}


@dataclass(frozen=True)
class Hours:
    """When a line is open: local ``start <= time < end`` on ``days``, in the team's zone.

    Raises ValueError for no days, a weekday outside 0..6, times with tzinfo or seconds, or an end
    that is not after the start.
    """

    days: frozenset[int]  # Python weekdays: 0=Monday..6=Sunday
    start: time  # local wall-clock time, whole minutes
    end: time | None  # None: 24:00, the end of the day

    def __post_init__(self) -> None:
        if not isinstance(self.days, frozenset) or not self.days:
            raise ValueError("days must be a non-empty frozenset of weekdays")
        if any(type(day) is not int or not 0 <= day <= 6 for day in self.days):
            raise ValueError(f"weekdays are 0 (Monday) to 6, not {sorted(self.days)!r}")
        for clock in (self.start, self.end):
            if clock is None:
                continue
            if clock.tzinfo is not None:
                raise ValueError("opening hours are local wall-clock times, without tzinfo")
            if clock.second or clock.microsecond:
                raise ValueError("opening hours are whole minutes")
        if self.end is not None and not self.start < self.end:
            raise ValueError("the end must be after the start (no overnight windows)")

    def _open_locally(self, local: datetime) -> bool:
        clock = local.time()
        return (
            local.weekday() in self.days
            and self.start <= clock
            and (self.end is None or clock < self.end)
        )

    def is_open(self, now: datetime, zone: str) -> bool:
        """Whether the line is open at ``now`` (naive UTC) in ``zone`` (an IANA name).

        Raises:
            ValueError: ``now`` has tzinfo, or ``zone`` is not a name `parse_zone` returns.
        """
        return self._open_locally(to_local(_naive(now), _zone(zone)))

    def next_open(self, now: datetime, zone: str) -> datetime:
        """The first instant at or after ``now`` (naive UTC) when the line is open, naive UTC.

        Raises:
            ValueError: as `is_open`; or the line does not open within 15 days (no real zone).
        """
        tz = _zone(zone)
        if self._open_locally(to_local(_naive(now), tz)):
            return now
        # The open instants are half-open intervals in UTC; each begins where the local time
        # reaches ``start`` on an open day, or at a zone change that jumps into the window.
        horizon = now + _SEARCH
        candidates = {
            instant
            for day in _days_between(to_local(now, tz).date(), to_local(horizon, tz).date())
            if day.weekday() in self.days
            for instant in _instants(tz, datetime.combine(day, self.start))
        }
        candidates.update(_zone_changes(tz, now, horizon))
        for instant in sorted(candidates):
            if now <= instant <= horizon and self._open_locally(to_local(instant, tz)):
                return instant
        raise ValueError(f"{self.describe()!r} does not open within 15 days in {zone}")

    def describe(self) -> str:
        """The canonical text, which `parse_hours` reads back: ``sat-wed 09:00-17:00``."""
        days = "" if self.days == _ALL_DAYS else _describe_days(self.days)
        return " ".join(part for part in (days, self._window()) if part) or "always"

    def show(self, lang: str, zone: str) -> str:
        """The hours as a reader of ``lang`` reads them, the weekdays listed from the first day
        of the week in ``zone`` (`first_weekday`): ``sat-wed 09:00-17:00`` in English (as
        `describe` in Iran's week), ``شنبه تا چهارشنبه، ساعت ۰۹:۰۰ تا ۱۷:۰۰`` in Persian."""
        if self == ALWAYS:
            return t(lang, "line_always")
        first, window = first_weekday(zone), self._window()
        if lang != "fa":
            days = "" if self.days == _ALL_DAYS else _describe_days(self.days, first)
            return " ".join(part for part in (days, window) if part)
        parts = []
        if self.days != _ALL_DAYS:
            names = [
                weekday_name(a, lang)
                if a == b
                else t(lang, "hours_days", first=weekday_name(a, lang), last=weekday_name(b, lang))
                for a, b in _day_runs(self.days, first)
            ]
            parts.append("، ".join(names))
        if window:
            start, end = local_digits(window, lang).split("-")
            parts.append(t(lang, "hours_window", start=start, end=end))
        return "، ".join(parts)

    def _window(self) -> str:
        """``09:00-17:00``, ``00:00-24:00``; "" for whole days."""
        if self.start == time(0) and self.end is None:
            return ""
        end = "24:00" if self.end is None else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


ALWAYS = Hours(_ALL_DAYS, time(0), None)


# --- time zones -----------------------------------------------------------------------------------


def _naive(when: datetime) -> datetime:
    if when.tzinfo is not None:
        raise ValueError("times are naive UTC")
    return when


def _offset(when: datetime, zone: ZoneInfo) -> timedelta | None:
    return when.replace(tzinfo=UTC).astimezone(zone).utcoffset()


def _days_between(first: date, last: date) -> list[date]:
    """Local dates from the day before ``first`` to the day after ``last``: a zone change can put
    an instant's local date a day away from where a neighbouring instant's is."""
    count = (last - first).days + 3
    return [first + timedelta(days=offset - 1) for offset in range(count)]


def _instants(zone: ZoneInfo, wall: datetime) -> set[datetime]:
    """The naive UTC instants whose local time is ``wall``: none in a gap, two when repeated."""
    found = set()
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC).replace(tzinfo=None)
        if to_local(instant, zone) == wall:
            found.add(instant)
    return found


def _zone_changes(zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Instants (naive UTC, whole seconds) in about ``[after, until]`` where the offset changes.

    Samples the offset hourly and bisects between samples that differ; tz database changes fall
    on whole seconds, and none are less than an hour apart in any zone's present or future.
    """
    changes = []
    low = after.replace(microsecond=0)
    while low <= until:
        high = low + _SAMPLE
        if _offset(low, zone) != _offset(high, zone):
            before, after_change = low, high
            while after_change - before > _ONE_SECOND:
                middle = before + _ONE_SECOND * ((after_change - before) // _ONE_SECOND // 2)
                if _offset(middle, zone) == _offset(low, zone):
                    before = middle
                else:
                    after_change = middle
            changes.append(after_change)
        low = high
    return changes


# --- parsing and formatting -----------------------------------------------------------------------


def parse_hours(text: str) -> Hours | None:
    """``sat-wed 09:00-17:00``, ``09:00-17:00``, ``fri-mon``, ``always`` -> `Hours`; else None.

    Persian and Arabic-Indic digits read as ASCII ones (``sat-wed ۰۹:۰۰-۱۷:۰۰``);
    ``22:00-06:00`` (overnight), ``24:00-...``, ``25:00``, ``sat-xyz`` and fullwidth digits are
    refused; see the module docstring for the grammar.
    """
    text = ascii_digits(text)
    if len(text) > _MAX_LENGTH or not text.isascii():
        return None
    words = _AROUND_PUNCTUATION.sub(r"\1", text.strip().lower()).split()
    if " ".join(words) in _ALWAYS_WORDS:
        return ALWAYS
    days: frozenset[int] | None = _ALL_DAYS
    window: tuple[time, time | None] | None = (time(0), None)
    if len(words) == 2:
        days, window = _parse_days(words[0]), _parse_window(words[1])
    elif len(words) == 1 and ":" in words[0]:
        window = _parse_window(words[0])
    elif len(words) == 1:
        days = _parse_days(words[0])
    else:
        return None
    if days is None or window is None:
        return None
    return Hours(days, *window)


def _parse_days(text: str) -> frozenset[int] | None:
    days: set[int] = set()
    for item in text.split(","):
        bounds = [_DAY_NUMBERS.get(name) for name in item.split("-")]
        if not 1 <= len(bounds) <= 2:
            return None
        first, last = bounds[0], bounds[-1]
        if first is None or last is None:
            return None
        days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
    return frozenset(days)


def _parse_window(text: str) -> tuple[time, time | None] | None:
    clocks = text.split("-")
    if len(clocks) != 2:
        return None
    start, end = _minutes(clocks[0]), _minutes(clocks[1])
    if start is None or end is None or not start < end or start == _MINUTES_PER_DAY:
        return None
    return _clock(start), None if end == _MINUTES_PER_DAY else _clock(end)


def _minutes(text: str) -> int | None:
    """``09:30`` -> 570, ``24:00`` -> 1440; ``24:01``, ``9:60``, ``9`` -> None."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    total = hour * 60 + minute
    return total if minute <= 59 and total <= _MINUTES_PER_DAY else None


def _clock(minutes: int) -> time:
    return time(*divmod(minutes, 60))


def _describe_days(days: frozenset[int], first: int = SATURDAY) -> str:
    """``sat-wed``, ``mon,thu-sat``: the runs of `_day_runs`, by their short English names."""
    return ",".join(
        _SHORT_NAMES[a] if a == b else f"{_SHORT_NAMES[a]}-{_SHORT_NAMES[b]}"
        for a, b in _day_runs(days, first)
    )


def _day_runs(days: frozenset[int], first: int) -> list[tuple[int, int]]:
    """Runs of consecutive days (first and last weekday of each) in the order of a week that
    starts on ``first``; a run over the week's end and its start is one run, listed last."""
    runs: list[list[int]] = []
    for day in ((first + step) % 7 for step in range(7)):
        if day not in days:
            continue
        if runs and runs[-1][-1] == (day - 1) % 7:
            runs[-1].append(day)
        else:
            runs.append([day])
    if len(runs) > 1 and runs[0][0] == first and runs[-1][-1] == (first - 1) % 7:  # wrap
        runs[0] = runs.pop() + runs[0]
        runs.append(runs.pop(0))
    return [(run[0], run[-1]) for run in runs]
