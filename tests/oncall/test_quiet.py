"""Quiet hours (issue 22 item 3): the span, read as typed, in the team's zone."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from bot.oncall.quiet import QuietHours, is_urgent, parse_quiet, weekend_days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00-08:00", QuietHours(time(22), time(8))),
        ("۲۲:۰۰–۰۸:۳۰", QuietHours(time(22), time(8, 30))),
        (" 9:00 - 17:00 ", QuietHours(time(9), time(17))),
        ("22:00-22:00", None),
        ("22:00", None),
        ("25:00-08:00", None),
        ("22:00-08:00-09:00", None),
    ],
)
def test_spans_are_read_with_any_digits_and_dash(text: str, expected: QuietHours | None) -> None:
    assert parse_quiet(text) == expected


def test_a_span_across_midnight_is_quiet_at_night_in_the_teams_zone() -> None:
    night = QuietHours(time(22), time(8))
    # Tehran is UTC+3:30: 22:00 there is 18:30 UTC, 08:00 is 04:30 UTC
    assert not night.covers(datetime(2026, 11, 30, 18, 29), "Asia/Tehran")
    assert night.covers(datetime(2026, 11, 30, 18, 30), "Asia/Tehran")
    assert night.covers(datetime(2026, 12, 1, 4, 29), "Asia/Tehran")
    assert not night.covers(datetime(2026, 12, 1, 4, 30), "Asia/Tehran")
    # the same hours in Berlin (UTC+1 in winter) are other instants
    assert not night.covers(datetime(2026, 11, 30, 18, 30), "Europe/Berlin")
    assert night.covers(datetime(2026, 11, 30, 21, 0), "Europe/Berlin")


def test_a_span_within_a_day() -> None:
    lunch = QuietHours(time(12), time(13))
    assert lunch.covers(datetime(2026, 11, 30, 11, 0), "Europe/Berlin")
    assert not lunch.covers(datetime(2026, 11, 30, 12, 0), "Europe/Berlin")


@pytest.mark.parametrize(
    ("reason", "urgent"),
    [
        ("urgent db down", True),
        ("URGENT: db", True),
        ("فوری دیتابیس", True),
        ("db urgent", False),
        (None, False),
    ],
)
def test_urgent_is_the_first_word(reason: str | None, urgent: bool) -> None:
    assert is_urgent(reason) is urgent


def test_the_weekend_is_irans_in_tehran_and_quiet_all_day_when_asked() -> None:
    assert weekend_days("Asia/Tehran") == (3, 4)  # Thursday and Friday
    assert weekend_days("Europe/Berlin") == (5, 6)  # Saturday and Sunday
    night = QuietHours(time(22), time(8), weekend=True)
    thursday_noon_tehran = datetime(2026, 12, 3, 8, 30)
    saturday_noon_tehran = datetime(2026, 12, 5, 8, 30)
    assert night.covers(thursday_noon_tehran, "Asia/Tehran")
    assert not night.covers(saturday_noon_tehran, "Asia/Tehran")  # a working day in Iran
    assert night.covers(saturday_noon_tehran, "Europe/Berlin")
    assert not QuietHours(time(22), time(8)).covers(thursday_noon_tehran, "Asia/Tehran")


def test_spans_hold_in_tehran_across_berlins_dst_and_irans_weekend() -> None:
    """``۲۲:۰۰–۰۸:۰۰`` is quiet from 22:00 to 08:00 local: Tehran's +03:30, Berlin in summer and
    winter; the weekend (Thursday in Tehran, Saturday in Berlin) all day; urgent words."""
    night = parse_quiet("۲۲:۰۰–۰۸:۰۰")
    assert night is not None
    # 22:00 Tehran = 18:30 UTC; 07:59 Tehran = 04:29 UTC; 08:00 = 04:30
    assert night.covers(datetime(2026, 12, 1, 18, 30), "Asia/Tehran")
    assert not night.covers(datetime(2026, 12, 1, 18, 29), "Asia/Tehran")
    assert night.covers(datetime(2026, 12, 2, 4, 29), "Asia/Tehran")
    assert not night.covers(datetime(2026, 12, 2, 4, 30), "Asia/Tehran")
    # Berlin in summer (UTC+2) and winter (UTC+1): 22:00 local
    assert night.covers(datetime(2027, 7, 1, 20, 0), "Europe/Berlin")
    assert not night.covers(datetime(2027, 7, 1, 19, 59), "Europe/Berlin")
    assert night.covers(datetime(2027, 1, 1, 21, 0), "Europe/Berlin")
    assert not night.covers(datetime(2027, 1, 1, 20, 59), "Europe/Berlin")
    weekend = QuietHours(night.start, night.end, weekend=True)
    # Thursday 2026-12-03 12:00 Tehran (08:30 UTC) is the weekend; Saturday is not
    assert weekend.covers(datetime(2026, 12, 3, 8, 30), "Asia/Tehran")
    assert not weekend.covers(datetime(2026, 12, 5, 8, 30), "Asia/Tehran")
    assert weekend.covers(datetime(2027, 7, 3, 10, 0), "Europe/Berlin")  # a Saturday
    assert parse_quiet("00:00-24:00") is None and parse_quiet("08:00-08:00") is None
    assert is_urgent("URGENT: db") and is_urgent("فوری دیتابیس") and not is_urgent("not urgent")
