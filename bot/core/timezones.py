"""Time zones and typed times, in one place: zone names, local wall-clock time, ``HH:MM``,
spans and how an instant is written. Times are naive UTC everywhere else in the bot.

Only names of the installed tz database are accepted (``UTC`` too), looked up in a table:
paths (``/etc/localtime``, ``../../etc/passwd``) never reach the file system.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

__all__ = ["format_local", "parse_hhmm", "parse_span", "parse_zone", "to_local", "zone"]

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)
_SPAN = re.compile(r"([0-9]{1,6})([mhd])", re.ASCII | re.IGNORECASE)
_SPAN_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_SPAN_MIN, _SPAN_MAX = timedelta(minutes=1), timedelta(days=30)
_ZONE_CHARS = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)
_NOT_TEAM_ZONES = frozenset({"localtime", "posixrules", "factory"})
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
    """``09:00``, ``9:30``, ``23:59`` -> a time; ``25:00``, ``12:60``, ``ab`` -> None."""
    match = _HHMM.fullmatch(text.strip())
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
    """A cover's length: ``90m``, ``4h``, ``2d`` (ASCII digits, one unit), 1 minute to 30 days."""
    match = _SPAN.fullmatch(text.strip())
    if match is None:
        return None
    span = int(match.group(1)) * _SPAN_UNITS[match.group(2).lower()]
    return span if _SPAN_MIN <= span <= _SPAN_MAX else None


def format_local(when: datetime, name: str) -> str:
    """Naive UTC -> ``Mon 2026-11-30 09:00 (Asia/Tehran)``: English weekday, ASCII digits."""
    local = to_local(when, zone(name))
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d} ({name})"
    )
