"""Writing an instant for a reader (issue 19 item 4): Gregorian in English, Solar Hijri (Jalali)
with Persian names and digits in Persian; and the week's first day per zone."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings, strategies as st

from bot.core.people import FSI, PDI
from bot.core.timezones import (
    MONDAY,
    SATURDAY,
    first_weekday,
    format_local,
    local_digits,
    weekday_name,
)

ASCII_DIGITS = frozenset("0123456789")
PERSIAN_DIGITS = frozenset("۰۱۲۳۴۵۶۷۸۹")


@pytest.mark.parametrize(
    ("when", "zone", "english", "persian"),
    [
        # 2026-12-07 14:30 UTC is 1405-09-16 18:00 in Asia/Tehran (a Monday)
        (
            datetime(2026, 12, 7, 14, 30),
            "Asia/Tehran",
            "Mon 2026-12-07 18:00 (Asia/Tehran)",
            f"دوشنبه ۱۶ آذر ۱۴۰۵، ۱۸:۰۰ ({FSI}Asia/Tehran{PDI})",
        ),
        # Nowruz: the last minute of 1404 and the first of 1405, local time
        (
            datetime(2026, 3, 20, 20, 29),
            "Asia/Tehran",
            "Fri 2026-03-20 23:59 (Asia/Tehran)",
            f"جمعه ۲۹ اسفند ۱۴۰۴، ۲۳:۵۹ ({FSI}Asia/Tehran{PDI})",
        ),
        (
            datetime(2026, 3, 20, 20, 30),
            "Asia/Tehran",
            "Sat 2026-03-21 00:00 (Asia/Tehran)",
            f"شنبه ۱ فروردین ۱۴۰۵، ۰۰:۰۰ ({FSI}Asia/Tehran{PDI})",
        ),
        # 1403 was a leap year: 30 Esfand
        (
            datetime(2025, 3, 20, 12, 0),
            "Asia/Tehran",
            "Thu 2025-03-20 15:30 (Asia/Tehran)",
            f"پنجشنبه ۳۰ اسفند ۱۴۰۳، ۱۵:۳۰ ({FSI}Asia/Tehran{PDI})",
        ),
        # the local date decides, in any zone: still 6 December in Berlin
        (
            datetime(2026, 12, 6, 22, 30),
            "Europe/Berlin",
            "Sun 2026-12-06 23:30 (Europe/Berlin)",
            f"یکشنبه ۱۵ آذر ۱۴۰۵، ۲۳:۳۰ ({FSI}Europe/Berlin{PDI})",
        ),
    ],
)
def test_format_local_in_each_language(
    when: datetime, zone: str, english: str, persian: str
) -> None:
    assert format_local(when, zone, "en") == english
    assert format_local(when, zone, "fa") == persian


def test_format_local_without_the_zone() -> None:
    when = datetime(2026, 12, 7, 14, 30)
    assert format_local(when, "Asia/Tehran", "en", with_zone=False) == "Mon 2026-12-07 18:00"
    assert format_local(when, "Asia/Tehran", "fa", with_zone=False) == "دوشنبه ۱۶ آذر ۱۴۰۵، ۱۸:۰۰"


def test_an_unknown_language_reads_english() -> None:
    when = datetime(2026, 12, 7, 14, 30)
    assert format_local(when, "Asia/Tehran", "de") == format_local(when, "Asia/Tehran", "en")


def test_format_local_refuses_an_unknown_zone_in_every_language() -> None:
    for lang in ("en", "fa"):
        with pytest.raises(ValueError, match="unknown time zone"):
            format_local(datetime(2026, 5, 4), "../../etc/passwd", lang)


@settings(max_examples=200, database=None, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_persian_dates_have_persian_digits_only(when: datetime) -> None:
    persian = format_local(when, "Asia/Tehran", "fa", with_zone=False)
    assert not ASCII_DIGITS & set(persian)
    assert PERSIAN_DIGITS & set(persian)
    english = format_local(when, "Asia/Tehran", "en", with_zone=False)
    assert not PERSIAN_DIGITS & set(english)
    # the same clock time in both
    assert english[-5:] == persian[-5:].translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))


def test_weekday_names() -> None:
    assert [weekday_name(day, "en") for day in range(7)] == [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
    ]  # fmt: skip
    assert [weekday_name(day, "fa") for day in range(7)] == [
        "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه",
    ]  # fmt: skip


def test_irans_week_starts_on_saturday_elsewhere_on_monday() -> None:
    assert first_weekday("Asia/Tehran") == SATURDAY
    assert first_weekday("Iran") == SATURDAY
    assert first_weekday("Europe/Berlin") == MONDAY
    assert first_weekday("UTC") == MONDAY


def test_local_digits() -> None:
    assert local_digits("09:00", "fa") == "۰۹:۰۰"
    assert local_digits("09:00", "en") == "09:00"
