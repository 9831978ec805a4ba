"""On-call rotation math (issue 10): hand-overs in local time, shifts, covers, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given, settings, strategies as st

from bot.oncall.rotation import (
    Cover,
    OnCall,
    Rotation,
    escalation_order,
    format_local,
    hand_overs,
    next_hand_over,
    on_call,
    parse_hhmm,
    parse_span,
    parse_zone,
    shift_index,
)

ALICE, BOB, CAROL = 101, 102, 103
TEAM = [ALICE, BOB, CAROL]
OUTSIDER = 999


def daily(
    zone: str, at: time, anchor: datetime, kind: Literal["daily", "weekly"] = "daily"
) -> Rotation:
    local = anchor.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    return Rotation(kind, at, zone, local.weekday(), anchor)


def local_wall(when: datetime, zone: str) -> datetime:
    return when.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


# --- a week of a daily rotation -------------------------------------------------------------------

# Tehran is UTC+03:30 all year since 2022: a 09:00 hand-over is 05:30 UTC every day.
TEHRAN_DAILY = daily("Asia/Tehran", time(9, 0), datetime(2026, 11, 30, 4, 0))  # Mon 07:30 local
FIRST_HAND_OVER = datetime(2026, 11, 30, 5, 30)


def test_a_week_of_a_daily_rotation_moving_now() -> None:
    # Before the first hand-over: member 0 since the rotation was set.
    assert on_call(TEAM, TEHRAN_DAILY, None, datetime(2026, 11, 30, 4, 0)) == OnCall(
        ALICE, FIRST_HAND_OVER, BOB, covering=False
    )
    for day in range(7):
        hand_over = FIRST_HAND_OVER + timedelta(days=day)
        expected = OnCall(
            TEAM[(day + 1) % 3], hand_over + timedelta(days=1), TEAM[(day + 2) % 3], False
        )
        # Exactly at the hand-over the next member is on; a second earlier, the previous one.
        assert on_call(TEAM, TEHRAN_DAILY, None, hand_over) == expected
        assert on_call(TEAM, TEHRAN_DAILY, None, hand_over + timedelta(hours=12)) == expected
        assert on_call(TEAM, TEHRAN_DAILY, None, hand_over + timedelta(hours=24, seconds=-1)) == (
            expected
        )
        assert on_call(TEAM, TEHRAN_DAILY, None, hand_over - timedelta(seconds=1)) == OnCall(
            TEAM[day % 3], hand_over, TEAM[(day + 1) % 3], False
        )


def test_every_quarter_hour_of_the_week_matches_counting_hand_overs() -> None:
    now = TEHRAN_DAILY.anchor
    while now < TEHRAN_DAILY.anchor + timedelta(days=7):
        passed = sum(FIRST_HAND_OVER + timedelta(days=k) <= now for k in range(8))
        assert shift_index(TEHRAN_DAILY, now) == passed
        assert on_call(TEAM, TEHRAN_DAILY, None, now).member == TEAM[passed % 3]
        assert next_hand_over(TEHRAN_DAILY, now) == FIRST_HAND_OVER + timedelta(days=passed)
        now += timedelta(minutes=15)


def test_the_shift_count_is_zero_at_and_before_the_anchor() -> None:
    assert shift_index(TEHRAN_DAILY, TEHRAN_DAILY.anchor) == 0
    assert shift_index(TEHRAN_DAILY, datetime(2020, 1, 1)) == 0
    assert on_call(TEAM, TEHRAN_DAILY, None, datetime(2020, 1, 1)).member == ALICE


def test_a_rotation_set_at_the_hand_over_time_hands_over_a_day_later() -> None:
    rotation = daily("Asia/Tehran", time(9, 0), FIRST_HAND_OVER)
    assert on_call(TEAM, rotation, None, FIRST_HAND_OVER) == OnCall(
        ALICE, FIRST_HAND_OVER + timedelta(days=1), BOB, False
    )


def test_years_later_the_count_is_still_one_a_day() -> None:
    later = FIRST_HAND_OVER + timedelta(days=3650)
    assert shift_index(TEHRAN_DAILY, later) == 3651
    assert len(hand_overs(TEHRAN_DAILY, TEHRAN_DAILY.anchor, later)) == 3651
    assert on_call(TEAM, TEHRAN_DAILY, None, later).member == TEAM[3651 % 3]


# --- weekly ---------------------------------------------------------------------------------------


def test_weekly_hands_over_on_the_weekday_at_the_local_time() -> None:
    # Set on Monday 2026-03-02 at 08:00 Berlin (07:00 UTC), hand-over Mondays 09:00 local.
    rotation = daily("Europe/Berlin", time(9, 0), datetime(2026, 3, 2, 7, 0), "weekly")
    assert rotation.weekday == 0
    instants = hand_overs(rotation, rotation.anchor, datetime(2026, 4, 14))
    assert instants == [
        datetime(2026, 3, 2, 8, 0),  # an hour after it was set: 09:00 CET
        datetime(2026, 3, 9, 8, 0),
        datetime(2026, 3, 16, 8, 0),
        datetime(2026, 3, 23, 8, 0),
        datetime(2026, 3, 30, 7, 0),  # 09:00 CEST, after the change on Sunday, March 29
        datetime(2026, 4, 6, 7, 0),
        datetime(2026, 4, 13, 7, 0),
    ]
    for instant in instants:
        assert format_local(instant, rotation.zone, "en").startswith("Mon ")
        assert local_wall(instant, rotation.zone).time() == time(9, 0)
    # Shifts: Alice (an hour), Bob from March 2, Carol from March 9, Alice from March 16, ...
    assert on_call(TEAM, rotation, None, datetime(2026, 3, 20)) == OnCall(
        ALICE, datetime(2026, 3, 23, 8, 0), BOB, False
    )
    assert on_call(TEAM, rotation, None, datetime(2026, 3, 28)) == OnCall(
        BOB, datetime(2026, 3, 30, 7, 0), CAROL, False
    )  # the shift across the change is an hour shorter


def test_weekly_set_after_the_hand_over_time_waits_for_next_week() -> None:
    # Set Wednesday 2026-03-04 10:00 Berlin, hand-over Wednesdays 09:00: the first in 6 days 23 h
    rotation = daily("Europe/Berlin", time(9, 0), datetime(2026, 3, 4, 9, 0), "weekly")
    assert rotation.weekday == 2
    assert on_call(TEAM, rotation, None, rotation.anchor) == OnCall(
        ALICE, datetime(2026, 3, 11, 8, 0), BOB, False
    )
    assert shift_index(rotation, datetime(2026, 3, 11, 7, 59)) == 0
    assert shift_index(rotation, datetime(2026, 3, 11, 8, 0)) == 1
    assert shift_index(rotation, datetime(2026, 3, 25, 8, 0)) == 3


# --- DST: Europe/Berlin, 2026 ---------------------------------------------------------------------


def test_berlin_daily_keeps_the_local_time_across_both_changes_of_2026() -> None:
    rotation = daily("Europe/Berlin", time(9, 0), datetime(2026, 3, 1))
    spring = hand_overs(rotation, datetime(2026, 3, 27), datetime(2026, 3, 31))
    assert spring == [
        datetime(2026, 3, 27, 8, 0),
        datetime(2026, 3, 28, 8, 0),
        datetime(2026, 3, 29, 7, 0),  # CEST from 01:00 UTC on March 29
        datetime(2026, 3, 30, 7, 0),
    ]
    autumn = hand_overs(rotation, datetime(2026, 10, 23), datetime(2026, 10, 27))
    assert autumn == [
        datetime(2026, 10, 23, 7, 0),
        datetime(2026, 10, 24, 7, 0),
        datetime(2026, 10, 25, 8, 0),  # CET from 01:00 UTC on October 25
        datetime(2026, 10, 26, 8, 0),
    ]
    assert [format_local(h, "Europe/Berlin", "en") for h in spring[1:3] + autumn[1:3]] == [
        "Sat 2026-03-28 09:00 (Europe/Berlin)",
        "Sun 2026-03-29 09:00 (Europe/Berlin)",
        "Sat 2026-10-24 09:00 (Europe/Berlin)",
        "Sun 2026-10-25 09:00 (Europe/Berlin)",
    ]
    # The shift across the change lasts 23 hours in spring, 25 in autumn.
    assert on_call(TEAM, rotation, None, spring[1]).until == spring[1] + timedelta(hours=23)
    assert on_call(TEAM, rotation, None, autumn[1]).until == autumn[1] + timedelta(hours=25)
    # A whole year of hand-overs: one a day, all at 09:00 local.
    year = hand_overs(rotation, datetime(2025, 12, 31, 12), datetime(2026, 12, 31, 12))
    assert len(year) == 365
    assert {local_wall(h, rotation.zone).time() for h in year} == {time(9, 0)}
    assert (
        shift_index(rotation, datetime(2026, 12, 31, 12)) == 306
    )  # March 1 to December 31, both included


def test_a_hand_over_in_the_spring_gap_happens_when_the_gap_ends() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    rotation = daily("Europe/Berlin", time(2, 30), datetime(2026, 3, 1))
    instants = hand_overs(rotation, datetime(2026, 3, 27, 12), datetime(2026, 3, 30, 12))
    assert instants == [
        datetime(2026, 3, 28, 1, 30),  # 02:30 CET
        datetime(2026, 3, 29, 1, 0),  # 03:00 CEST, the first valid instant after 02:30
        datetime(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]
    assert format_local(instants[1], rotation.zone, "en") == "Sun 2026-03-29 03:00 (Europe/Berlin)"
    assert on_call(TEAM, rotation, None, datetime(2026, 3, 29, 0, 59)).until == instants[1]


def test_a_hand_over_in_the_repeated_hour_takes_its_first_occurrence() -> None:
    # 02:30 happens twice on 2026-10-25 in Berlin: at 00:30 UTC (CEST) and 01:30 UTC (CET).
    rotation = daily("Europe/Berlin", time(2, 30), datetime(2026, 10, 1))
    instants = hand_overs(rotation, datetime(2026, 10, 23, 12), datetime(2026, 10, 26, 12))
    assert instants == [
        datetime(2026, 10, 24, 0, 30),
        datetime(2026, 10, 25, 0, 30),  # 02:30 CEST, not 02:30 CET an hour later
        datetime(2026, 10, 26, 1, 30),
    ]
    second_0230 = datetime(2026, 10, 25, 1, 30)
    assert shift_index(rotation, second_0230) == shift_index(rotation, instants[1])


# --- Asia/Tehran ----------------------------------------------------------------------------------


def test_tehran_has_no_dst_since_2022() -> None:
    rotation = daily("Asia/Tehran", time(9, 0), datetime(2026, 1, 1))
    year = hand_overs(rotation, datetime(2026, 1, 1), datetime(2027, 1, 1))
    assert len(year) == 365
    assert {h.time() for h in year} == {time(5, 30)}  # 09:00 at UTC+03:30, March and September too
    assert format_local(datetime(2026, 3, 22, 5, 30), "Asia/Tehran", "en") == (
        "Sun 2026-03-22 09:00 (Asia/Tehran)"
    )


def test_tehran_in_2021_still_moved_its_clocks() -> None:
    # On 2021-03-22 Tehran went from 00:00 +03:30 to 01:00 +04:30: 00:30 did not exist.
    rotation = daily("Asia/Tehran", time(0, 30), datetime(2021, 3, 1))
    assert hand_overs(rotation, datetime(2021, 3, 20), datetime(2021, 3, 23)) == [
        datetime(2021, 3, 20, 21, 0),  # 00:30 +03:30 on March 21
        datetime(2021, 3, 21, 20, 30),  # 01:00 +04:30 on March 22, the end of the gap
        datetime(2021, 3, 22, 20, 0),  # 00:30 +04:30 on March 23
    ]


# --- covers ---------------------------------------------------------------------------------------

BERLIN_DAILY = daily("Europe/Berlin", time(9, 0), datetime(2026, 5, 4, 6, 0))  # Mon 08:00 CEST
MAY_4_HAND_OVER = datetime(2026, 5, 4, 7, 0)


def test_a_cover_wins_and_ends_at_its_end() -> None:
    now = datetime(2026, 5, 4, 12, 0)  # Bob's shift (the first hand-over was at 07:00 UTC)
    cover = Cover(CAROL, starts=now - timedelta(hours=1), ends=now + timedelta(hours=4))
    assert on_call(TEAM, BERLIN_DAILY, cover, now) == OnCall(CAROL, cover.ends, BOB, True)
    assert on_call(TEAM, BERLIN_DAILY, cover, cover.starts).covering
    # Once it ends, the rotation again.
    assert on_call(TEAM, BERLIN_DAILY, cover, cover.ends) == OnCall(
        BOB, datetime(2026, 5, 5, 7, 0), CAROL, False
    )


def test_a_cover_ends_its_shift_at_the_next_hand_over_and_keeps_going() -> None:
    now = datetime(2026, 5, 5, 5, 0)  # Bob's shift, two hours before the next hand-over
    cover = Cover(ALICE, starts=now, ends=now + timedelta(hours=4))
    hand_over = datetime(2026, 5, 5, 7, 0)
    assert on_call(TEAM, BERLIN_DAILY, cover, now) == OnCall(ALICE, hand_over, ALICE, True)
    # After the hand-over the cover still holds, now for Carol's shift; then Carol.
    assert on_call(TEAM, BERLIN_DAILY, cover, hand_over) == OnCall(ALICE, cover.ends, CAROL, True)
    assert on_call(TEAM, BERLIN_DAILY, cover, cover.ends).member == CAROL


def test_a_cover_for_someone_outside_the_team_still_counts() -> None:
    now = datetime(2026, 5, 4, 12, 0)
    cover = Cover(OUTSIDER, starts=now, ends=now + timedelta(hours=2))
    assert on_call(TEAM, BERLIN_DAILY, cover, now) == OnCall(OUTSIDER, cover.ends, BOB, True)


def test_a_cover_that_has_not_started_ends_the_current_shift_at_its_start() -> None:
    now = datetime(2026, 5, 4, 12, 0)
    cover = Cover(CAROL, starts=now + timedelta(hours=3), ends=now + timedelta(days=3))
    assert on_call(TEAM, BERLIN_DAILY, cover, now) == OnCall(BOB, cover.starts, CAROL, False)
    past = Cover(CAROL, starts=now - timedelta(days=2), ends=now - timedelta(days=1))
    assert on_call(TEAM, BERLIN_DAILY, past, now) == on_call(TEAM, BERLIN_DAILY, None, now)


def test_a_cover_without_a_rotation() -> None:
    now = datetime(2026, 5, 4, 12, 0)
    cover = Cover(BOB, starts=now, ends=now + timedelta(hours=4))
    assert on_call(TEAM, None, cover, now) == OnCall(BOB, cover.ends, ALICE, True)
    assert on_call(TEAM, None, cover, cover.ends) == OnCall(ALICE, None, None, False)


# --- no members, no rotation ----------------------------------------------------------------------


def test_no_members() -> None:
    now = datetime(2026, 5, 4, 12, 0)
    nobody = OnCall(None, None, None, covering=False)
    assert on_call([], BERLIN_DAILY, None, now) == nobody
    assert on_call([], None, None, now) == nobody
    cover = Cover(OUTSIDER, starts=now, ends=now + timedelta(hours=1))
    assert on_call([], BERLIN_DAILY, cover, now) == OnCall(OUTSIDER, cover.ends, None, True)


def test_no_rotation_the_first_member_is_on_call_for_good() -> None:
    assert on_call(TEAM, None, None, datetime(2026, 5, 4)) == OnCall(ALICE, None, None, False)
    assert on_call([BOB], None, None, datetime(2099, 1, 1)) == OnCall(BOB, None, None, False)


def test_one_member_still_hands_over_to_themselves() -> None:
    assert on_call([BOB], BERLIN_DAILY, None, datetime(2026, 5, 4, 12)) == OnCall(
        BOB, datetime(2026, 5, 5, 7, 0), BOB, False
    )


# --- values that cannot be ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"weekday": 7},
        {"weekday": -1},
        {"zone": "Mars/Base"},
        {"zone": "../../etc/passwd"},
        {"zone": "europe/berlin"},  # a stored zone is spelled as parse_zone returns it
        {"anchor": datetime(2026, 5, 4, tzinfo=UTC)},
        {"hand_over": time(9, 0, tzinfo=UTC)},
        {"kind": "monthly"},
    ],
)
def test_a_rotation_refuses_what_cannot_be(change: dict[str, object]) -> None:
    values: dict[str, object] = {
        "kind": "daily",
        "hand_over": time(9, 0),
        "zone": "Europe/Berlin",
        "weekday": 0,
        "anchor": datetime(2026, 5, 4),
    }
    with pytest.raises(ValueError, match=r"."):
        Rotation(**{**values, **change})  # type: ignore[arg-type]


def test_a_cover_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after"):
        Cover(BOB, datetime(2026, 5, 4), datetime(2026, 5, 4))
    with pytest.raises(ValueError, match="naive"):
        Cover(BOB, datetime(2026, 5, 4, tzinfo=UTC), datetime(2026, 5, 5, tzinfo=UTC))


def test_format_local_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        format_local(datetime(2026, 5, 4), "../../etc/passwd", "en")


# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9, 0)),
        ("9:30", time(9, 30)),
        ("23:59", time(23, 59)),
        ("00:00", time(0, 0)),
        (" 7:05 ", time(7, 5)),
        ("25:00", None),
        ("24:00", None),
        ("12:60", None),
        ("ab", None),
        ("", None),
        ("9", None),
        ("9:5", None),
        ("0900", None),
        ("9.30", None),
        ("-1:00", None),
        ("09:00:00", None),
        ("٠٩:٠٠", time(9, 0)),  # Arabic-Indic digits (issue 19 item 3)
        ("۰۹:۰۰", time(9, 0)),  # Persian digits
        ("۲۳:۵۹", time(23, 59)),
        ("۰۹:3۰", time(9, 30)),  # mixed with ASCII
        ("۲۵:۰۰", None),  # Persian, but no time
        ("０９:００", None),  # fullwidth digits
        ("²:00", None),  # superscript two
    ],
)
def test_parse_hhmm(text: str, expected: time | None) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Asia/Tehran", "Asia/Tehran"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("asia/tehran", "Asia/Tehran"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/GMT+5", "Etc/GMT+5"),
        ("Mars/Base", None),
        ("../../etc/passwd", None),
        ("/etc/localtime", None),
        ("/usr/share/zoneinfo/Asia/Tehran", None),
        ("Asia/../Asia/Tehran", None),
        ("Asia/Tehran/", None),
        ("Asia//Tehran", None),
        ("Asia\\Tehran", None),
        ("Asia/Tehran\x00", None),
        ("localtime", None),
        ("posixrules", None),
        ("Factory", None),
        ("", None),
        ("   ", None),
        ("Asia", None),
        ("Asia/Tehrän", None),
        ("A" * 10_000, None),
    ],
)
def test_parse_zone(text: str, expected: str | None) -> None:
    assert parse_zone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("90m", timedelta(minutes=90)),
        ("1m", timedelta(minutes=1)),
        ("30d", timedelta(days=30)),
        ("720h", timedelta(days=30)),
        ("4H", timedelta(hours=4)),
        (" 36h ", timedelta(hours=36)),
        ("4x", None),
        ("0h", None),
        ("0m", None),
        ("31d", None),
        ("721h", None),
        ("43201m", None),
        ("٤h", timedelta(hours=4)),  # Arabic-Indic four (issue 19 item 3)
        ("۴h", timedelta(hours=4)),  # Persian four
        ("۹۰m", timedelta(minutes=90)),
        ("۲D", timedelta(days=2)),
        ("۳۱d", None),  # Persian, but over 30 days
        ("４h", None),  # fullwidth four
        ("²h", None),  # superscript two
        ("4", None),
        ("h", None),
        ("", None),
        ("-4h", None),
        ("4 h", None),
        ("1d12h", None),  # one number, one unit: "36h"
        ("4.5h", None),
        ("4s", None),
        ("4ḥ", None),
        ("9" * 50 + "d", None),
    ],
)
def test_parse_span(text: str, expected: timedelta | None) -> None:
    assert parse_span(text) == expected


# --- escalation -----------------------------------------------------------------------------------


def test_escalation_order_starts_at_the_person_on_call_and_wraps() -> None:
    assert escalation_order([1, 2, 3, 4], 3) == [3, 4, 1, 2]
    assert escalation_order([1, 2, 3, 4], 1) == [1, 2, 3, 4]
    assert escalation_order([1, 2, 3, 4], 4) == [4, 1, 2, 3]
    assert escalation_order([1, 2, 3, 4], None) == [1, 2, 3, 4]
    assert escalation_order([1, 2, 3, 4], OUTSIDER) == [1, 2, 3, 4]  # a cover from outside
    assert escalation_order([], None) == []
    assert escalation_order((5,), 5) == [5]


def test_escalation_order_follows_on_call() -> None:
    now = datetime(2026, 5, 5, 12, 0)  # Carol's shift
    first = on_call(TEAM, BERLIN_DAILY, None, now).member
    assert escalation_order(TEAM, first) == [CAROL, ALICE, BOB]


def test_format_local_is_short_and_ascii() -> None:
    assert format_local(datetime(2026, 11, 30, 5, 30), "Asia/Tehran", "en") == (
        "Mon 2026-11-30 09:00 (Asia/Tehran)"
    )
    assert format_local(datetime(2026, 1, 1), "UTC", "en") == "Thu 2026-01-01 00:00 (UTC)"


# --- properties -----------------------------------------------------------------------------------

_ZONES = sorted(name for name in available_timezones() if parse_zone(name) == name)
_TIMES = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))
_HAND_OVER_TIMES = st.sampled_from([time(0, 0), time(2, 30), time(23, 59)]) | st.times()


@st.composite
def _rotations(draw: st.DrawFn) -> Rotation:
    return Rotation(
        kind=draw(st.sampled_from(["daily", "weekly"])),
        hand_over=draw(_HAND_OVER_TIMES),
        zone=draw(st.sampled_from(["Europe/Berlin", "Asia/Tehran", "Pacific/Apia"]))
        if draw(st.booleans())
        else draw(st.sampled_from(_ZONES)),
        weekday=draw(st.integers(0, 6)),
        anchor=draw(_TIMES),
    )


@st.composite
def _covers(draw: st.DrawFn, around: datetime) -> Cover:
    starts = around + draw(st.timedeltas(timedelta(days=-40), timedelta(days=40)))
    length = draw(st.timedeltas(timedelta(minutes=1), timedelta(days=30)))
    return Cover(draw(st.integers(1, 10**12)), starts, starts + length)


@settings(max_examples=500, database=None, deadline=None)
@given(
    data=st.data(),
    members=st.lists(st.integers(1, 10**12), unique=True, max_size=6),
    rotation=st.none() | _rotations(),
    offset=st.timedeltas(timedelta(days=-30), timedelta(days=4000)),
)
@example(  # the hand-over of a skipped day (Samoa, 2011-12-30) meets the next day's
    data=None,
    members=[1, 2, 3],
    rotation=Rotation("daily", time(0, 0), "Pacific/Apia", 0, datetime(2011, 12, 20)),
    offset=timedelta(days=10),
)
def test_on_call_always_answers_with_a_member_and_a_later_until(
    data: st.DataObject | None,
    members: list[int],
    rotation: Rotation | None,
    offset: timedelta,
) -> None:
    base = rotation.anchor if rotation is not None else datetime(2026, 5, 4)
    now = base + offset
    cover = None if data is None or data.draw(st.booleans()) else data.draw(_covers(now))
    answer = on_call(members, rotation, cover, now)
    allowed = {*members, *([cover.member] if cover is not None else [])}
    assert answer.member in allowed or (answer.member is None and not members)
    assert answer.covering == (cover is not None and cover.starts <= now < cover.ends)
    if answer.covering:
        assert cover is not None
        assert answer.member == cover.member
    if answer.until is None:
        assert answer.next_member is None
    else:
        assert answer.until > now
        assert answer.next_member in allowed or (answer.next_member is None and not members)
        # Nothing changes before `until`, and `next_member` is who is on at `until`.
        just_before = on_call(members, rotation, cover, answer.until - timedelta(microseconds=1))
        assert just_before.member == answer.member
        assert on_call(members, rotation, cover, answer.until).member == answer.next_member
    if rotation is not None and members:
        assert answer.until is not None
        assert answer.until <= next_hand_over(rotation, now)


@settings(max_examples=300, database=None, deadline=None)
@given(rotation=_rotations(), offset=st.timedeltas(timedelta(0), timedelta(days=60)))
def test_hand_overs_are_at_the_local_time_or_at_the_end_of_its_gap(
    rotation: Rotation, offset: timedelta
) -> None:
    now = rotation.anchor + offset
    instants = hand_overs(rotation, rotation.anchor, now)
    assert len(instants) == shift_index(rotation, now)
    assert instants == sorted(instants)
    assert all(rotation.anchor < instant <= now for instant in instants)
    zone = rotation.zone
    for instant in instants:
        wall = local_wall(instant, zone)
        if wall.time() != rotation.hand_over:  # no such local time that day: the gap's end
            before = local_wall(instant - timedelta(seconds=1), zone)
            targets = [
                datetime.combine(wall.date() - timedelta(days=d), rotation.hand_over)
                for d in (0, 1)
            ]
            assert any(before < target < wall for target in targets)
        if rotation.kind == "weekly" and wall.time() == rotation.hand_over:
            assert wall.weekday() == rotation.weekday
    if instants:
        assert next_hand_over(rotation, instants[-1] - timedelta(microseconds=1)) == instants[-1]
        earlier = [instant for instant in instants if instant < instants[-1]]
        assert shift_index(rotation, instants[-1] - timedelta(microseconds=1)) == len(earlier)
    assert next_hand_over(rotation, now) > now
