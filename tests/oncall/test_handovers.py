"""Hand-overs on the fast layer: what the team's group reads when the person on call changes (a
rotation's hand-over, a cover and its end), each change once, and the private heads-up
``HANDOFF_NOTICE_MINUTES`` before a shift."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.clock import ManualClock
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, START, Ops, make_ops, on_call_world, profile

#: The daily hand-over at 09:00 in Tehran: 05:30 UTC, the next day from START.
FIRST_HAND_OVER = START.replace(day=1, month=12, hour=5, minute=30)


@pytest.fixture
async def ops(world: World) -> Ops:
    """Team ops (Bob, Carol, Dave), handing over daily at 09:00 in Tehran from START."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    answer = await world.services.oncall.set_rotation(
        "en", ALICE, ops.team, "daily", "09:00", "Asia/Tehran"
    )
    assert "Bob, until Tue 2026-12-01 09:00 (Asia/Tehran); next: Carol" in visible(answer)
    ops.team = await world.services.oncall.team_named("en", "ops")  # as the next command reads it
    return ops


def group(ops: Ops) -> list[str]:
    return ops.world.messenger.texts(GROUP)


def move_to(clock: ManualClock, when: datetime) -> None:
    clock.advance((when - clock.now()).total_seconds())


async def test_the_group_hears_each_hand_over_once_and_the_next_person_is_warned(
    ops: Ops,
) -> None:
    world, clock = ops.world, ops.clock
    await world.settle()
    assert group(ops) == ["📟 On call for ops: Bob until Tue 2026-12-01 09:00 (Asia/Tehran)."]
    await world.settle()
    clock.advance(3600)
    await world.settle()
    assert len(group(ops)) == 1  # told once
    # the heads-up comes 15 minutes before the shift, not a second earlier, and only to Carol
    move_to(clock, FIRST_HAND_OVER - timedelta(minutes=15, seconds=1))
    await world.settle()
    assert world.messenger.texts(CAROL) == []
    clock.advance(1)
    await world.settle()
    assert world.messenger.texts(CAROL) == [
        "📟 Heads-up: you are on call for ops from Tue 2026-12-01 09:00 (Asia/Tehran) "
        "until Wed 2026-12-02 09:00 (Asia/Tehran)."
    ]
    assert world.messenger.texts(BOB) == [] and world.messenger.texts(DAVE) == []
    assert len(group(ops)) == 1
    move_to(clock, FIRST_HAND_OVER - timedelta(seconds=1))
    await world.settle()
    assert len(group(ops)) == 1
    clock.advance(1)
    await world.settle()
    await world.settle()
    assert group(ops)[1:] == ["📟 On call for ops: Carol until Wed 2026-12-02 09:00 (Asia/Tehran)."]
    assert len(world.messenger.texts(CAROL)) == 1  # warned once


async def test_a_cover_is_announced_and_so_is_its_end(ops: Ops) -> None:
    world, clock = ops.world, ops.clock
    move_to(clock, FIRST_HAND_OVER)
    await world.settle()  # Carol's shift
    answer = await world.services.oncall.cover("en", CAROL, ops.team, [], profile(DAVE), "4h")
    assert visible(answer) == "Dave is on call for ops until Tue 2026-12-01 13:00 (Asia/Tehran)."
    assert world.messenger.texts(CAROL)[-1] == (
        "Dave covers for you on ops until Tue 2026-12-01 13:00 (Asia/Tehran)."
    )
    await world.settle()
    assert group(ops)[-1] == "📟 On call for ops: Dave until Tue 2026-12-01 13:00 (Asia/Tehran)."
    clock.advance(4 * 3600)
    await world.settle()
    assert group(ops)[-1] == ("📟 On call for ops: Carol until Wed 2026-12-02 09:00 (Asia/Tehran).")
    assert len(group(ops)) == 3  # Carol's shift, Dave's cover, Carol again


async def test_a_team_without_a_rotation_names_who_is_on_call_with_no_end(
    world: World,
) -> None:
    await make_ops(world, DAVE, BOB)
    await world.settle()
    assert world.messenger.texts(GROUP) == ["📟 On call for ops: Dave."]
    assert world.messenger.texts(DAVE) == []  # no shift starts: no heads-up


async def test_two_replicas_announce_a_hand_over_once(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    async for world in on_call_world(sqlite_url, kv, clock):
        await make_ops(world, BOB, CAROL)
        other = world.replica("replica-b")
        await other.handovers.tick()
        await world.services.handovers.tick()
        await other.handovers.tick()
        assert world.messenger.texts(GROUP) == ["📟 On call for ops: Bob."]
