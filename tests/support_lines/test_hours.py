"""Opening hours of a support line: parsing, describing, open or not, next opening across DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from bot.support_lines.hours import ALWAYS, Hours, parse_hours

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
TEHRAN = "Asia/Tehran"  # UTC+03:30 all year since 2022
BERLIN = "Europe/Berlin"  # springs forward 2026-03-29 01:00 UTC, falls back 2026-10-25 01:00 UTC
NEW_YORK = "America/New_York"  # springs forward 2026-03-08 07:00 UTC (02:00 EST -> 03:00 EDT)
OFFICE = Hours(frozenset({SAT, SUN, MON, TUE, WED}), time(9), time(17))


def local_wall(when: datetime, zone: str) -> datetime:
    return when.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sat-wed 09:00-17:00", OFFICE),
        ("  SAT - Wed   9:00 - 17:00 ", OFFICE),
        ("Saturday-Wednesday 09:00-17:00", OFFICE),
        ("sat,sun,mon,tue,wed 09:00-17:00", OFFICE),
        ("sat-mon, tue,wednesday 09:00-17:00", OFFICE),
        ("09:00-17:00", Hours(frozenset(range(7)), time(9), time(17))),
        ("sat-wed", Hours(OFFICE.days, time(0), None)),
        ("fri-mon", Hours(frozenset({FRI, SAT, SUN, MON}), time(0), None)),
        ("wed-wed 8:30-12:00", Hours(frozenset({WED}), time(8, 30), time(12))),
        ("sun,tue 00:00-24:00", Hours(frozenset({SUN, TUE}), time(0), None)),
        ("thu 23:59-24:00", Hours(frozenset({THU}), time(23, 59), None)),
        ("mon-sun", ALWAYS),
        ("sat-fri 00:00-24:00", ALWAYS),
        ("", ALWAYS),
        ("   ", ALWAYS),
        ("always", ALWAYS),
        ("Always", ALWAYS),
        ("24/7", ALWAYS),
    ],
)
def test_parse_hours(text: str, expected: Hours) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sat-wed ۰۹:۰۰-۱۷:۰۰", OFFICE),  # Persian digits (issue 19 item 3)
        ("sat-wed ٠٩:٠٠-١٧:٠٠", OFFICE),  # Arabic-Indic digits
        ("sat-wed ۹:۰۰-17:00", OFFICE),  # mixed with ASCII
        ("۰۹:۰۰-۲۴:۰۰", Hours(frozenset(range(7)), time(9), None)),
        ("۲۴/۷", ALWAYS),
    ],
)
def test_parse_hours_reads_persian_and_arabic_indic_digits(text: str, expected: Hours) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sat-xyz 09:00-17:00",  # bad day
        "satur 09:00-17:00",
        "sa-we 09:00-17:00",
        "sat--wed 09:00-17:00",
        "sat-sun-mon 09:00-17:00",
        "sat,,wed 09:00-17:00",
        "sat, 09:00-17:00",
        "9:00-17",  # bad time
        "09-17",
        "9:0-17:00",
        "09:00-17:60",
        "109:00-117:00",
        "25:00-26:00",
        "09:00-25:00",
        "09:00-24:01",
        "24:00-24:00",  # 24:00 is an end only
        "24:00-01:00",
        "17:00-09:00",  # the end must be after the start
        "22:00-06:00",  # no overnight windows
        "09:00-09:00",
        "09:00-00:00",
        "09:00-17:00-18:00",
        "09:00",
        "sat-wed 09:00-17:00 extra",  # garbage
        "09:00-17:00 sat-wed",
        "sat wed",
        "always 09:00-17:00",
        "never",
        "sat-wed ０９:００-１７:００",  # fullwidth digits
        "sat-wed ²9:00-17:00",  # a superscript two
        "شنبه ۰۹:۰۰-۱۷:۰۰",  # Persian day names are not in the grammar
        "sat-wed ۱۷:۰۰-۰۹:۰۰",  # Persian digits, but overnight
        "sat," * 60 + "sun 09:00-17:00",  # too long
        " " * 201,
    ],
)
def test_parse_hours_refuses(text: str) -> None:
    assert parse_hours(text) is None


def test_ranges_wrap_around_the_week() -> None:
    assert parse_hours("sat-wed") == Hours(frozenset({SAT, SUN, MON, TUE, WED}), time(0), None)
    assert parse_hours("fri-mon") == Hours(frozenset({FRI, SAT, SUN, MON}), time(0), None)
    assert parse_hours("mon-sun") == ALWAYS
    assert parse_hours("sun-sat") == ALWAYS
    assert parse_hours("tue-mon") == ALWAYS
    assert parse_hours("thu-fri,sat") == Hours(frozenset({THU, FRI, SAT}), time(0), None)


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [
        (frozenset(), time(9), time(17)),
        (frozenset({7}), time(9), time(17)),
        (frozenset({-1}), time(9), time(17)),
        (frozenset({True}), time(9), time(17)),
        (frozenset({MON}), time(17), time(9)),
        (frozenset({MON}), time(9), time(9)),
        (frozenset({MON}), time(9, 0, 30), time(17)),
        (frozenset({MON}), time(9), time(17, tzinfo=UTC)),
    ],
)
def test_hours_refuses_impossible_values(days: frozenset[int], start: time, end: time) -> None:
    with pytest.raises(ValueError, match=r"."):
        Hours(days, start, end)


# --- describing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (OFFICE, "sat-wed 09:00-17:00"),
        (ALWAYS, "always"),
        (Hours(frozenset(range(7)), time(9), time(17)), "09:00-17:00"),
        (Hours(frozenset(range(7)), time(9), None), "09:00-24:00"),
        (Hours(OFFICE.days, time(0), None), "sat-wed"),
        (Hours(frozenset({FRI, SAT, SUN, MON}), time(0), None), "fri-mon"),
        (Hours(frozenset({SAT, MON, THU, FRI}), time(8, 5), time(9)), "mon,thu-sat 08:05-09:00"),
        (Hours(frozenset({SAT, MON, WED}), time(0), time(12)), "sat,mon,wed 00:00-12:00"),
        (Hours(frozenset({FRI}), time(0), None), "fri"),
        (Hours(frozenset({SAT, SUN, MON, TUE, WED, THU}), time(0), None), "sat-thu"),
        (Hours(frozenset({SUN, MON, TUE, WED, THU, FRI}), time(0), None), "sun-fri"),
    ],
)
def test_describe(hours: Hours, text: str) -> None:
    assert hours.describe() == text
    assert parse_hours(text) == hours


SAT_MON_WED = Hours(frozenset({SAT, MON, WED}), time(9), time(12))


@pytest.mark.parametrize(
    ("hours", "zone", "lang", "text"),
    [
        (OFFICE, TEHRAN, "en", "sat-wed 09:00-17:00"),
        (OFFICE, TEHRAN, "fa", "شنبه تا چهارشنبه، ساعت ۰۹:۰۰ تا ۱۷:۰۰"),
        (Hours(frozenset(range(7)), time(9), None), TEHRAN, "fa", "ساعت ۰۹:۰۰ تا ۲۴:۰۰"),
        (Hours(frozenset({FRI}), time(0), None), TEHRAN, "fa", "جمعه"),
        (ALWAYS, TEHRAN, "fa", "در همهٔ ساعت‌ها"),
        (ALWAYS, BERLIN, "en", "at all times"),
        # Iran's week starts on Saturday, Berlin's on Monday: the same days in each order
        (SAT_MON_WED, TEHRAN, "en", "sat,mon,wed 09:00-12:00"),
        (SAT_MON_WED, BERLIN, "en", "mon,wed,sat 09:00-12:00"),
        (SAT_MON_WED, TEHRAN, "fa", "شنبه، دوشنبه، چهارشنبه، ساعت ۰۹:۰۰ تا ۱۲:۰۰"),
        (SAT_MON_WED, BERLIN, "fa", "دوشنبه، چهارشنبه، شنبه، ساعت ۰۹:۰۰ تا ۱۲:۰۰"),
        # a run over the end of the week stays one run
        (OFFICE, BERLIN, "en", "sat-wed 09:00-17:00"),
        (Hours(frozenset({SUN, MON, FRI}), time(0), None), BERLIN, "en", "fri,sun-mon"),
        (Hours(frozenset({THU, FRI, SAT}), time(0), None), TEHRAN, "fa", "پنجشنبه تا شنبه"),
    ],
)
def test_show_in_the_readers_language_and_week(
    hours: Hours, zone: str, lang: str, text: str
) -> None:
    """Issue 19 item 4: line hours in the reader's language, weekdays in the zone's week."""
    assert hours.show(lang, zone) == text


@st.composite
def any_hours(draw: st.DrawFn) -> Hours:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 24 * 60 - 1))
    end = draw(st.integers(start + 1, 24 * 60))
    return Hours(days, time(*divmod(start, 60)), None if end == 24 * 60 else time(*divmod(end, 60)))


@given(any_hours())
def test_describe_round_trips(hours: Hours) -> None:
    text = hours.describe()
    assert parse_hours(text) == hours
    assert parse_hours(f"  {text.upper()}  ") == hours


@given(any_hours())
def test_show_in_english_in_irans_week_is_the_canonical_text(hours: Hours) -> None:
    assert hours.show("en", TEHRAN) == (hours.describe() if hours != ALWAYS else "at all times")


# --- open or not ----------------------------------------------------------------------------------

# Mon 2026-11-30 in Tehran: 09:00 local is 05:30 UTC, 17:00 local is 13:30 UTC.
TEHRAN_MONDAY_OPENS = datetime(2026, 11, 30, 5, 30)
TEHRAN_MONDAY_CLOSES = datetime(2026, 11, 30, 13, 30)
TINY = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (TEHRAN_MONDAY_OPENS - TINY, False),
        (TEHRAN_MONDAY_OPENS, True),
        (TEHRAN_MONDAY_CLOSES - TINY, True),
        (TEHRAN_MONDAY_CLOSES, False),
        (datetime(2026, 12, 3, 6, 0), False),  # Thursday 09:30
        (datetime(2026, 12, 4, 6, 0), False),  # Friday 09:30
        (datetime(2026, 12, 5, 6, 0), True),  # Saturday 09:30
        (datetime(2026, 12, 2, 13, 29), True),  # Wednesday 16:59
    ],
)
def test_is_open_at_the_boundaries_in_tehran(now: datetime, expected: bool) -> None:
    assert OFFICE.is_open(now, TEHRAN) is expected


def test_a_day_until_24_00_in_tehran() -> None:
    friday = parse_hours("fri")
    assert friday is not None
    # Friday 2026-12-04 00:00 local is Thursday 20:30 UTC; Saturday 00:00 local is Friday 20:30.
    assert not friday.is_open(datetime(2026, 12, 3, 20, 30) - TINY, TEHRAN)
    assert friday.is_open(datetime(2026, 12, 3, 20, 30), TEHRAN)
    assert friday.is_open(datetime(2026, 12, 4, 20, 30) - TINY, TEHRAN)
    assert not friday.is_open(datetime(2026, 12, 4, 20, 30), TEHRAN)
    assert ALWAYS.is_open(datetime(2026, 12, 4, 20, 30), TEHRAN)


def test_the_same_instant_in_other_zones() -> None:
    now = datetime(2026, 11, 30, 8, 30)  # Mon 12:00 in Tehran, 09:30 in Berlin, 03:30 in New York
    assert OFFICE.is_open(now, TEHRAN)
    assert OFFICE.is_open(now, BERLIN)
    assert not OFFICE.is_open(now, NEW_YORK)
    assert not OFFICE.is_open(now, "UTC")


def test_zone_and_naive_utc_are_checked() -> None:
    now = datetime(2026, 11, 30, 8, 30)
    with pytest.raises(ValueError, match="time zone"):
        OFFICE.is_open(now, "Mars/Olympus")
    with pytest.raises(ValueError, match="time zone"):
        OFFICE.next_open(now, "asia/tehran")  # parse_zone spells it first
    with pytest.raises(ValueError, match="naive UTC"):
        OFFICE.is_open(now.replace(tzinfo=UTC), TEHRAN)
    with pytest.raises(ValueError, match="naive UTC"):
        OFFICE.next_open(now.replace(tzinfo=UTC), TEHRAN)


# --- next opening ---------------------------------------------------------------------------------


def test_next_open_is_now_when_open() -> None:
    now = TEHRAN_MONDAY_OPENS + timedelta(hours=1, microseconds=5)
    assert OFFICE.next_open(now, TEHRAN) == now
    assert ALWAYS.next_open(now, BERLIN) == now


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 2, 13, 30),  # Wednesday 17:00 Tehran, just closed
        datetime(2026, 12, 3, 16, 30),  # Thursday 20:00 Tehran
        datetime(2026, 12, 4, 20, 29),  # Friday 23:59 Tehran
        datetime(2026, 12, 5, 5, 29, 59, 999999),  # Saturday 08:59:59.999999 Tehran
    ],
)
def test_next_open_across_the_weekend_in_tehran(now: datetime) -> None:
    saturday_nine = datetime(2026, 12, 5, 5, 30)  # Saturday 09:00 Tehran
    assert OFFICE.next_open(now, TEHRAN) == saturday_nine
    assert local_wall(saturday_nine, TEHRAN) == datetime(2026, 12, 5, 9, 0)


def test_next_open_later_the_same_day() -> None:
    now = datetime(2026, 11, 30, 3, 0)  # Monday 06:30 Tehran
    assert OFFICE.next_open(now, TEHRAN) == TEHRAN_MONDAY_OPENS


def test_spring_forward_in_berlin_opens_at_the_end_of_the_gap() -> None:
    night = parse_hours("02:00-04:00")
    assert night is not None
    # Saturday 2026-03-28: CET, 02:00 local is 01:00 UTC.
    assert night.next_open(datetime(2026, 3, 27, 23, 0), BERLIN) == datetime(2026, 3, 28, 1, 0)
    # Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC; 02:00-03:00 does not exist,
    # so the line opens at 03:00 CEST (01:00 UTC) and closes at 04:00 CEST (02:00 UTC).
    sunday = datetime(2026, 3, 28, 23, 0)  # Sunday 00:00 CET
    opens = night.next_open(sunday, BERLIN)
    assert opens == datetime(2026, 3, 29, 1, 0)
    assert local_wall(opens, BERLIN) == datetime(2026, 3, 29, 3, 0)
    assert not night.is_open(opens - TINY, BERLIN)
    assert night.is_open(opens, BERLIN)
    assert night.is_open(datetime(2026, 3, 29, 2, 0) - TINY, BERLIN)
    assert not night.is_open(datetime(2026, 3, 29, 2, 0), BERLIN)
    # Monday 2026-03-30: CEST, 02:00 local is 00:00 UTC.
    assert night.next_open(datetime(2026, 3, 29, 2, 0), BERLIN) == datetime(2026, 3, 30, 0, 0)


def test_spring_forward_in_new_york_skips_a_nonexistent_02_30() -> None:
    hours = parse_hours("sun 02:30-03:30")
    assert hours is not None
    # Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00 UTC; 02:30 does not exist.
    assert hours.next_open(datetime(2026, 3, 8, 5, 0), NEW_YORK) == datetime(2026, 3, 8, 7, 0)
    # A week later, EDT: 02:30 local is 06:30 UTC.
    assert hours.next_open(datetime(2026, 3, 8, 8, 0), NEW_YORK) == datetime(2026, 3, 15, 6, 30)


def test_a_window_inside_the_gap_opens_a_week_later() -> None:
    hours = parse_hours("sun 02:00-02:30")
    assert hours is not None
    now = datetime(2026, 3, 28, 23, 0)  # Sunday 00:00 CET, the day Berlin springs forward
    # Sunday 2026-04-05 02:00 CEST is 00:00 UTC.
    assert hours.next_open(now, BERLIN) == datetime(2026, 4, 5, 0, 0)


def test_a_window_inside_a_midnight_gap_can_be_two_weeks_away() -> None:
    hours = parse_hours("sun 00:00-00:30")
    assert hours is not None
    # Beirut springs forward from Sunday 2026-03-29 00:00 to 01:00: that Sunday has no 00:00-00:30,
    # so from the Thursday before, the line opens Sunday 2026-04-05 00:00 +03 (Saturday 21:00 UTC).
    thursday = datetime(2026, 3, 26, 12, 0)
    assert hours.next_open(thursday, "Asia/Beirut") == datetime(2026, 4, 4, 21, 0)


def test_fall_back_in_berlin_reopens_in_the_repeated_hour() -> None:
    hours = parse_hours("sun 00:00-02:30")
    assert hours is not None
    # Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC. Open 00:00-02:30 CEST
    # (Saturday 22:00 to 00:30 UTC), closed 02:30-03:00 CEST, open again 02:00-02:30 CET.
    assert hours.next_open(datetime(2026, 10, 24, 21, 0), BERLIN) == datetime(2026, 10, 24, 22, 0)
    assert hours.next_open(datetime(2026, 10, 25, 0, 45), BERLIN) == datetime(2026, 10, 25, 1, 0)
    assert not hours.is_open(datetime(2026, 10, 25, 1, 30), BERLIN)
    # The next Sunday, 2026-11-01 00:00 CET, is Saturday 23:00 UTC.
    assert hours.next_open(datetime(2026, 10, 25, 1, 30), BERLIN) == datetime(2026, 10, 31, 23, 0)


def test_fall_back_opens_at_the_first_occurrence() -> None:
    hours = parse_hours("sun 02:30-04:00")
    assert hours is not None
    # 02:30 on 2026-10-25 happens twice in Berlin; the first time is 00:30 UTC (CEST).
    assert hours.next_open(datetime(2026, 10, 24, 12, 0), BERLIN) == datetime(2026, 10, 25, 0, 30)


def test_next_open_on_microseconds() -> None:
    now = datetime(2026, 11, 30, 13, 30, 0, 1)  # Monday 17:00:00.000001 Tehran
    assert OFFICE.next_open(now, TEHRAN) == datetime(2026, 12, 1, 5, 30)


# --- next opening, checked minute by minute -------------------------------------------------------

ZONES_WITH_CHANGES = [
    # (zone, a naive UTC instant where its offset changes)
    (BERLIN, datetime(2026, 3, 29, 1, 0)),
    (BERLIN, datetime(2026, 10, 25, 1, 0)),
    (NEW_YORK, datetime(2026, 3, 8, 7, 0)),
    (NEW_YORK, datetime(2026, 11, 1, 6, 0)),
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, 0)),  # 02:00 +11 -> 01:30 +10:30
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30)),  # 02:00 +10:30 -> 02:30 +11
    ("Asia/Beirut", datetime(2026, 3, 28, 22, 0)),  # Sunday 00:00 +02 -> 01:00 +03
    ("Asia/Beirut", datetime(2026, 10, 24, 21, 0)),  # Sunday 00:00 +03 -> Saturday 23:00 +02
    ("America/Sao_Paulo", datetime(2018, 11, 4, 3, 0)),  # 00:00 -03 -> 01:00 -02
    ("America/Sao_Paulo", datetime(2018, 2, 18, 2, 0)),  # 00:00 -02 -> 23:00 -03 the day before
    (TEHRAN, datetime(2026, 11, 30, 0, 0)),  # no change
]


def test_the_listed_zone_changes_are_real() -> None:
    for zone, change in ZONES_WITH_CHANGES[:-1]:
        before = (change - timedelta(seconds=1)).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        after = change.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        assert before.utcoffset() != after.utcoffset(), (zone, change)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(ZONES_WITH_CHANGES),
    st.integers(-3 * 24 * 60, 2 * 24 * 60),
    any_hours(),
)
def test_next_open_is_the_first_open_minute(
    zone_and_change: tuple[str, datetime], minutes: int, hours: Hours
) -> None:
    # Every offset of these zones, and every opening, is a whole number of minutes.
    zone, change = zone_and_change
    now = change + timedelta(minutes=minutes)
    opens = hours.next_open(now, zone)
    assert now <= opens <= now + timedelta(days=15)
    assert hours.is_open(opens, zone)
    minute = now
    while not hours.is_open(minute, zone):
        minute += timedelta(minutes=1)
    assert opens == minute
