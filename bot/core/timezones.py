"""Time zones and typed times, in one place: zone names, local wall-clock time, ``HH:MM``,
spans and how an instant is written. Times are naive UTC everywhere else in the bot.

Typed times and spans read Persian and Arabic-Indic digits as 0-9 (`bot.core.parsing.ascii_digits`).
`format_local` is the one place an instant is written for a reader: Gregorian with English
weekdays for English, Solar Hijri (Jalali) with Persian weekday and month names and Persian digits
for Persian (``fa``), by `persiantools` (a maintained library; no calendar arithmetic here).

Only names of the installed tz database are accepted (``UTC`` too), looked up in a table:
paths (``/etc/localtime``, ``../../etc/passwd``) never reach the file system.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from persiantools import digits
from persiantools.jdatetime import WEEKDAY_NAMES_FA, JalaliDate

from bot.core.parsing import ascii_digits
from bot.core.people import isolate

__all__ = [
    "first_weekday",
    "format_local",
    "local_digits",
    "parse_hhmm",
    "parse_span",
    "parse_zone",
    "to_local",
    "weekday_name",
    "zone",
]

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)
_SPAN = re.compile(r"([0-9]{1,6})([mhd])", re.ASCII | re.IGNORECASE)
_SPAN_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_SPAN_MIN, _SPAN_MAX = timedelta(minutes=1), timedelta(days=30)
_ZONE_CHARS = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)
_NOT_TEAM_ZONES = frozenset({"localtime", "posixrules", "factory"})
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONDAY, SATURDAY = 0, 5
#: Zones whose week runs Saturday to Friday (Iran's, and Afghanistan's); elsewhere the week
#: starts on Monday (ISO 8601). Teams get DEFAULT_TIMEZONE, Asia/Tehran unless set otherwise.
_SATURDAY_FIRST = frozenset({"Asia/Tehran", "Iran", "Asia/Kabul"})


@cache
def _zone_names() -> dict[str, str]:
    """Lowercased name -> the name as the tz database spells it."""
    return {
        name.lower(): name for name in available_timezones() if name.lower() not in _NOT_TEAM_ZONES
    }


@cache
def zone(name: str) -> ZoneInfo:
    """The zone of a name `parse_zone` accepts as it is; ValueError for any other text."""
    if parse_zone(name) != name:
        raise ValueError(f"unknown time zone {name!r}")
    return ZoneInfo(name)


def to_local(when: datetime, zone: ZoneInfo) -> datetime:
    """Naive UTC -> naive local wall-clock time."""
    return when.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def parse_hhmm(text: str) -> time | None:
    """``09:00``, ``9:30``, ``23:59``, ``۰۹:۳۰`` -> a time; ``25:00``, ``12:60``, ``ab`` -> None."""
    match = _HHMM.fullmatch(ascii_digits(text.strip()))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_zone(text: str) -> str | None:
    """An IANA time zone name, in any case -> the name as the tz database spells it; else None.

    Only names of the installed tz database are accepted (``UTC`` too), looked up in a table:
    paths (``/etc/localtime``, ``../../etc/passwd``) never reach the file system.
    """
    name = text.strip()
    if not name or len(name) > 64 or not name.isascii() or _ZONE_CHARS.fullmatch(name) is None:
        return None
    return _zone_names().get(name.lower())


def parse_span(text: str) -> timedelta | None:
    """A cover's length: ``90m``, ``4h``, ``۲d`` (one number, one unit), 1 minute to 30 days."""
    match = _SPAN.fullmatch(ascii_digits(text.strip()))
    if match is None:
        return None
    span = int(match.group(1)) * _SPAN_UNITS[match.group(2).lower()]
    return span if _SPAN_MIN <= span <= _SPAN_MAX else None


def format_local(when: datetime, name: str, lang: str, *, with_zone: bool = True) -> str:
    """Naive UTC -> the local date and time in zone ``name``, as a reader of ``lang`` reads it.

    English (and any other language): ``Mon 2026-12-07 18:00 (Asia/Tehran)``, Gregorian, ASCII
    digits. Persian (``fa``): ``دوشنبه ۱۶ آذر ۱۴۰۵، ۱۸:۰۰ (Asia/Tehran)``, the Solar Hijri date
    with Persian weekday and month names and Persian digits (the zone name isolated, so it reads
    left to right inside the sentence). ``with_zone=False`` leaves the zone out (a list of times
    in one zone).
    """
    local = to_local(when, zone(name))
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "fa":
        # persiantools' constructor is not annotated; it takes a datetime.date as it is.
        jalali = JalaliDate(local.date())  # type: ignore[no-untyped-call]
        text = (
            f"{jalali.strftime('%A', locale='fa')} {digits.en_to_fa(str(jalali.day))} "
            f"{jalali.strftime('%B %Y', locale='fa')}، {digits.en_to_fa(clock)}"
        )
        return f"{text} ({isolate(name)})" if with_zone else text
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    text = f"{_WEEKDAYS[local.weekday()]} {day} {clock}"
    return f"{text} ({name})" if with_zone else text


def local_digits(text: str, lang: str) -> str:
    """``text`` with its ASCII digits in the reader's script: Persian digits for ``fa``."""
    return digits.en_to_fa(text) if lang == "fa" else text


def weekday_name(weekday: int, lang: str) -> str:
    """A Python weekday (0 = Monday) as the reader names it: ``Sat``, ``شنبه``."""
    if lang == "fa":
        return WEEKDAY_NAMES_FA[(weekday + 2) % 7]  # the library's list starts on Saturday
    return _WEEKDAYS[weekday]


def first_weekday(name: str) -> int:
    """The weekday a week starts on in zone ``name`` (0 = Monday): Saturday in Iran's zone
    (Asia/Tehran, the default), Monday elsewhere; used wherever weekdays are listed."""
    return SATURDAY if name in _SATURDAY_FIRST else MONDAY
