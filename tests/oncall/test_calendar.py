"""``/rotation NAME calendar``: each event's UID names what it is, the same in every export, so
importing a newer file updates the events a phone already has (issue 22)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import icalendar

from bot.core.parsing import Mention

from ..domain import World
from ..helpers import ALICE, BOB
from .conftest import CAROL, DAVE, make_ops


def events(data: bytes) -> dict[str, tuple[str, date]]:
    """UID -> (summary, local start day) of each event."""
    cal = icalendar.Calendar.from_ical(data)
    return {
        str(e["UID"]): (str(e["SUMMARY"]), e.decoded("DTSTART").date()) for e in cal.walk("VEVENT")
    }


async def test_a_newer_calendar_updates_the_events_of_the_older_one(world: World) -> None:
    """Dave covers Bob for 4 h; Carol imports the calendar; once the cover is over she imports a
    newer one. Bob's Monday is one event (the same UID, now from 09:00), the cover's UID is not
    reused for anyone else, and every shift of both files keeps its person under its UID."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    oncall = world.services.oncall
    await oncall.set_rotation("en", ALICE, ops.team, "daily", "09:00", "Asia/Tehran")
    team = await oncall.team_named("en", "ops")
    await oncall.cover("en", ALICE, team, [Mention("@dave_k", "dave_k")], None, "4h")
    _, first, _ = await oncall.calendar("en", team)
    ops.clock.advance(5 * 3600)  # the cover is over; Bob is on until Tuesday 09:00
    _, second, _ = await oncall.calendar("en", team)
    old, new = events(first), events(second)
    covers = [uid for uid, (summary, _) in old.items() if summary == "ops: Dave (cover)"]
    assert len(covers) == 1 and covers[0] not in new
    for uid in old.keys() & new.keys():
        assert old[uid][0] == new[uid][0], (uid, old[uid], new[uid])
    monday = date(2026, 11, 30)
    bob_monday = {uid for uid, v in {**old, **new}.items() if v == ("ops: Bob", monday)}
    assert len(bob_monday) == 1, bob_monday


async def test_a_team_without_a_rotation_keeps_its_event_uid(world: World) -> None:
    """A team with members but no rotation: one open-ended event, ``team-N-open``, the same in
    every export (a newer file updates it rather than adding another "ops: Bob")."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    oncall = world.services.oncall
    _, first, _ = await oncall.calendar("en", ops.team)
    ops.clock.advance(3600)
    _, second, _ = await oncall.calendar("en", ops.team)
    assert set(events(first)) == set(events(second)) == {"team-1-open@kavenegar-call-bot"}


async def test_the_calendar_across_a_dst_change_keeps_local_hand_overs(world: World) -> None:
    """A Berlin team exported across March's change: every hand-over at 09:00 local, the
    VTIMEZONE with both STANDARD and DAYLIGHT, every DTSTART with its TZID, UIDs unique."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    ops.clock.advance(90 * 86400)  # 2027-02-28
    oncall = world.services.oncall
    await oncall.set_rotation("en", ALICE, ops.team, "daily", "09:00", "Europe/Berlin")
    team = await oncall.team_named("en", "ops")
    name, data, caption = await oncall.calendar("en", team)
    cal = icalendar.Calendar.from_ical(data)
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Berlin"
    assert tz.walk("DAYLIGHT") and tz.walk("STANDARD")
    berlin = ZoneInfo("Europe/Berlin")
    evs = cal.walk("VEVENT")
    for e in evs[1:]:
        assert e["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert e.decoded("DTSTART").astimezone(berlin).strftime("%H:%M") == "09:00"
    assert len({str(e["UID"]) for e in evs}) == len(evs)
    assert len(caption) <= 1024 and name == "ops-oncall.ics"
