"""Issue 19 items 3 and 4 on the fast layer: on-call commands read Persian and Arabic-Indic
digits as they read ASCII ones, and a Persian speaker reads every date in the Solar Hijri
calendar (Persian weekday and month names, Persian digits) while an English speaker keeps the
Gregorian one, each in their own language whoever triggered the message."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.core.people import FSI, PDI
from bot.oncall.service import Refused

from ..domain import BOT_USERNAME, World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, NAMES, Ops, make_ops, profile

#: Sunday 2026-12-06 06:00 UTC (09:30 in Tehran); the next 09:00 Tehran hand-over is Monday
#: 2026-12-07 05:30 UTC, which is 16 Azar 1405.
SUNDAY = datetime(2026, 12, 6, 6, 0)
NEXT_HAND_OVER = datetime(2026, 12, 7, 5, 30)
TEHRAN = f"({FSI}Asia/Tehran{PDI})"  # the zone as a Persian text shows it (isolated)


@pytest.fixture
async def ops(world: World) -> Ops:
    """Team ops (Bob, Carol, Dave) owned by Alice, on Sunday 2026-12-06; no rotation yet."""
    world.clock.advance((SUNDAY - world.clock.now()).total_seconds())
    return await make_ops(world, BOB, CAROL, DAVE)


async def speaks_persian(world: World, *people: int) -> None:
    for telegram_id in people:
        name = NAMES[telegram_id]
        await world.person(telegram_id, name, f"{name.lower()}_k", language_code="fa-IR")


# --- item 3: typed numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["۰۹:۰۰", "٠٩:٠٠", "۹:۰۰", "09:۰۰"])
async def test_rotation_reads_persian_and_arabic_indic_digits(ops: Ops, typed: str) -> None:
    """``/rotation ops daily ۰۹:۰۰`` sets a 09:00 hand-over, as ``09:00`` does."""
    oncall = ops.world.services.oncall
    answer = await oncall.set_rotation("en", ALICE, ops.team, "daily", typed, None)
    assert visible(answer) == (
        "ops hands over daily at 09:00 (Asia/Tehran). "
        "ops: Bob, until Mon 2026-12-07 09:00 (Asia/Tehran); next: Carol"
    )
    assert (await oncall.team_named("en", "ops")).hand_over == "09:00"


async def test_rotation_still_refuses_other_digits(ops: Ops) -> None:
    oncall = ops.world.services.oncall
    for typed in ("０９:００", "²9:00", "۲۵:۰۰"):
        with pytest.raises(Refused, match="is not a time"):
            await oncall.set_rotation("en", ALICE, ops.team, "daily", typed, None)


async def test_cover_reads_a_persian_span(ops: Ops) -> None:
    """``/cover ops @dave ۴h``: Dave is on call for four hours."""
    answer = await ops.world.services.oncall.cover("en", CAROL, ops.team, [], profile(DAVE), "۴h")
    assert visible(answer) == "Dave is on call for ops until Sun 2026-12-06 13:30 (Asia/Tehran)."


async def test_invite_reads_persian_uses_and_hours(ops: Ops) -> None:
    """``/invite ops ۵ ۲۴``: five uses, 24 hours."""
    invites = ops.world.services.invites
    answer = visible(await invites.create("en", ALICE, ops.team, ["۵", "۲۴"], BOT_USERNAME))
    assert re.search(r"\(5 uses, until Mon 2026-12-07 09:30 \(Asia/Tehran\)\)\.$", answer), answer
    listing = visible(await invites.listing("en", ALICE, ops.team))
    assert "5 uses left, until Mon 2026-12-07 09:30 (Asia/Tehran)" in listing
    for refused in (["²"], ["۵", "۰"], ["۱۰۰۱"], ["٥", "٧٢١"]):
        with pytest.raises(Refused, match="/invite NAME"):
            await invites.create("en", ALICE, ops.team, refused, BOT_USERNAME)


# --- item 4: Jalali dates for Persian speakers ----------------------------------------------------


async def test_oncall_in_jalali_for_a_persian_speaker_gregorian_for_an_english_one(
    ops: Ops,
) -> None:
    oncall = ops.world.services.oncall
    answer = await oncall.set_rotation("fa", ALICE, ops.team, "daily", "۰۹:۰۰", None)
    assert visible(answer) == (
        "ops به‌صورت روزانه در ۰۹:۰۰ (Asia/Tehran) تحویل می‌دهد. "
        "ops: Bob، تا دوشنبه ۱۶ آذر ۱۴۰۵، ۰۹:۰۰ (Asia/Tehran)؛ بعدی: Carol"
    )
    team = await oncall.team_named("en", "ops")
    assert visible(await oncall.oncall_line("fa", team)) == (
        "ops: Bob، تا دوشنبه ۱۶ آذر ۱۴۰۵، ۰۹:۰۰ (Asia/Tehran)؛ بعدی: Carol"
    )
    assert visible(await oncall.oncall_line("en", team)) == (
        "ops: Bob, until Mon 2026-12-07 09:00 (Asia/Tehran); next: Carol"
    )
    assert TEHRAN in await oncall.oncall_line("fa", team)  # the zone reads left to right
    assert "روزانه در ۰۹:۰۰" in visible(await oncall.show("fa", team))


async def test_hand_overs_in_each_readers_calendar(ops: Ops) -> None:
    """The group reads its owner's language (Alice: Persian), each person their own."""
    world = ops.world
    await speaks_persian(world, ALICE, CAROL)
    oncall = world.services.oncall
    await oncall.set_rotation("en", ALICE, ops.team, "daily", "09:00", None)
    await world.settle()
    assert world.messenger.texts(GROUP)[-1] == (
        "📟 کشیک ops: Bob تا دوشنبه ۱۶ آذر ۱۴۰۵، ۰۹:۰۰ (Asia/Tehran)."
    )
    # the heads-up 15 minutes before the shift, to Carol, in Persian
    world.clock.advance((NEXT_HAND_OVER - world.clock.now()).total_seconds() - 15 * 60)
    await world.settle()
    assert world.messenger.texts(CAROL) == [
        "📟 یادآوری: از دوشنبه ۱۶ آذر ۱۴۰۵، ۰۹:۰۰ (Asia/Tehran) "
        "تا سه‌شنبه ۱۷ آذر ۱۴۰۵، ۰۹:۰۰ (Asia/Tehran) کشیک ops هستید."
    ]


async def test_a_heads_up_in_gregorian_for_an_english_speaker(ops: Ops) -> None:
    world = ops.world
    await speaks_persian(world, ALICE)
    await world.services.oncall.set_rotation("fa", ALICE, ops.team, "daily", "09:00", None)
    world.clock.advance((NEXT_HAND_OVER - world.clock.now()).total_seconds() - 15 * 60)
    await world.settle()
    assert world.messenger.texts(CAROL) == [
        "📟 Heads-up: you are on call for ops from Mon 2026-12-07 09:00 (Asia/Tehran) "
        "until Tue 2026-12-08 09:00 (Asia/Tehran)."
    ]


async def test_a_cover_tells_each_person_in_their_own_calendar(ops: Ops) -> None:
    """Carol (English) covers for Bob (Persian): Carol reads Gregorian, Bob Jalali."""
    world = ops.world
    await speaks_persian(world, BOB)
    answer = await world.services.oncall.cover("en", CAROL, ops.team, [], profile(CAROL), "۲d")
    assert visible(answer) == "Carol is on call for ops until Tue 2026-12-08 09:30 (Asia/Tehran)."
    assert world.messenger.texts(BOB) == [
        "Carol تا سه‌شنبه ۱۷ آذر ۱۴۰۵، ۰۹:۳۰ (Asia/Tehran) به‌جای شما کشیک ops است."
    ]
    answer = await world.services.oncall.cover("fa", CAROL, ops.team, [], profile(DAVE), "90m")
    assert visible(answer) == "Dave تا یکشنبه ۱۵ آذر ۱۴۰۵، ۱۱:۰۰ (Asia/Tehran) کشیک ops است."


async def test_invites_in_jalali_for_a_persian_speaker(ops: Ops) -> None:
    invites = ops.world.services.invites
    answer = visible(await invites.create("fa", ALICE, ops.team, ["۲"], BOT_USERNAME))
    assert answer.endswith("(2 بار، تا چهارشنبه ۱۸ آذر ۱۴۰۵، ۰۹:۳۰ (Asia/Tehran)).")
    listing = visible(await invites.listing("fa", ALICE, ops.team))
    assert "تا چهارشنبه ۱۸ آذر ۱۴۰۵، ۰۹:۳۰ (Asia/Tehran)" in listing
