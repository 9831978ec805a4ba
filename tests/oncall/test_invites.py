"""Invite links on the fast layer: a link joins its team until its hours are over (then it says
so and joins nobody), no more often than its uses, and only live links are listed."""

from __future__ import annotations

import re

import pytest

from bot.core.people import UserProfile
from bot.oncall.invites import InviteService

from ..domain import BOT_USERNAME, World
from ..helpers import ALICE, BOB, visible
from .conftest import CAROL, DAVE, ERIN, Ops, make_ops

FRANK, GUS = 4006, 4007


@pytest.fixture
async def ops(world: World) -> Ops:
    """Team ops: Bob, Carol and Dave."""
    return await make_ops(world, BOB, CAROL, DAVE)


def invites(ops: Ops) -> InviteService:
    return ops.world.services.invites


async def invite(ops: Ops, *args: str) -> str:
    """Alice's ``/invite ops <args>``: the code of the link it answers with."""
    answer = visible(await invites(ops).create("en", ALICE, ops.team, list(args), BOT_USERNAME))
    found = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=(inv_[A-Za-z0-9_-]+)", answer)
    assert found, answer
    return found.group(1)


async def opens(ops: Ops, telegram_id: int, name: str, code: str) -> str:
    """``name`` opens the link and presses Start: the answer they read."""
    await ops.world.person(telegram_id, name, f"{name.lower()}_k")
    person = UserProfile(telegram_id, name, username=f"{name.lower()}_k", language_code="en")
    return visible(await invites(ops).redeem("en", person, code))


async def test_a_link_joins_until_its_hours_are_over_then_says_it_expired(ops: Ops) -> None:
    code = await invite(ops, "3", "1")  # three uses, one hour
    ops.clock.advance(3599)
    assert await opens(ops, ERIN, "Erin", code) == (
        "Welcome: you joined ops, number 4 in its rotation."
    )
    ops.clock.advance(1)  # the hour is over, though two uses are left
    assert await opens(ops, FRANK, "Frank", code) == (
        "This invite to ops has expired. Ask for a new one."
    )
    assert await ops.world.store.teams.members(ops.team.id) == [BOB, CAROL, DAVE, ERIN]
    assert visible(await invites(ops).listing("en", ALICE, ops.team)) == (
        "ops has no live invite links."
    )


async def test_a_link_without_hours_lasts_three_days(ops: Ops) -> None:
    code = await invite(ops, "2")
    listing = visible(await invites(ops).listing("en", ALICE, ops.team))
    assert "2 uses left, until Thu 2026-12-03 12:30 (Asia/Tehran)" in listing
    assert code not in listing  # the link is never shown again
    ops.clock.advance(72 * 3600 - 1)
    assert (await opens(ops, ERIN, "Erin", code)).startswith("Welcome: you joined ops")
    ops.clock.advance(1)
    assert (await opens(ops, FRANK, "Frank", code)).startswith("This invite to ops has expired")


async def test_a_link_is_used_up_before_it_expires(ops: Ops) -> None:
    code = await invite(ops, "1", "24")
    assert (await opens(ops, ERIN, "Erin", code)).startswith("Welcome: you joined ops")
    assert await opens(ops, FRANK, "Frank", code) == (
        "This invite to ops has been used up. Ask for a new one."
    )
    ops.clock.advance(25 * 3600)
    assert (await opens(ops, GUS, "Gus", code)).startswith("This invite to ops has expired")
    assert FRANK not in await ops.world.store.teams.members(ops.team.id)
