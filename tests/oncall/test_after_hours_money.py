"""A page in quiet hours that goes to the after-hours team pays only for calls /call would
place, checked at each ring; quiet hours without ``urgent-only`` never pay for "urgent"."""

from __future__ import annotations

import pytest

from bot.core.clock import ManualClock
from bot.core.parsing import Mention
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .conftest import CAROL, DAVE, ERIN, Ops, make_ops, on_call_world

OTHER_GROUP = -100777


async def _night(world: World, ops: Ops) -> None:
    oncall = world.services.oncall
    await oncall.create("en", ALICE, OTHER_GROUP, False, "night")
    night = await oncall.team_named("en", "night")
    await oncall.add("en", ALICE, night, [Mention("@dave_k", "dave_k")], None)
    await oncall.set_after_hours("en", ALICE, ops.team, "night")
    await oncall.set_quiet("en", ALICE, ops.team, ["12:00-13:00"])  # now: 12:30 Tehran
    ops.team = await oncall.team_named("en", "ops")


async def _page(world: World, ops: Ops, reason: str = "db down") -> str | None:
    carol = await world.store.get_user(CAROL)
    assert carol is not None
    answer = await world.services.pages.start(
        "en", carol, ops.team, chat_id=GROUP, message_id=1000, reason=reason
    )
    for _ in range(6):
        ops.clock.advance(5)
        await world.settle()
    return answer


async def test_after_hours_page_rings_dave(world: World) -> None:
    """Control: with nothing changed, the after-hours page rings Dave (night), not ops."""
    ops = await make_ops(world, BOB, CAROL)
    await _night(world, ops)
    await _page(world, ops)
    assert len(ops.calls_to(DAVE)) == 1 and ops.calls_to(BOB) == []


@pytest.mark.parametrize(
    "change", ["uncallable", "dnd", "blocked", "deny-dave", "deny-pager", "deny-page-group"]
)
async def test_after_hours_page_keeps_the_rules(world: World, change: str) -> None:
    """Dave (night's only member) may not be called, or Carol may not call: nothing is paid."""
    ops = await make_ops(world, BOB, CAROL)
    await _night(world, ops)
    services = world.services
    match change:
        case "uncallable":
            await services.people.set_callable(DAVE, False, changed_by=ALICE)
        case "dnd":
            await services.people.set_dnd(DAVE, True)
        case "blocked":
            await services.people.set_reachable(DAVE, False)
        case "deny-dave":
            await services.access.set_rule("user", DAVE, False, changed_by=ALICE)
        case "deny-pager":
            await services.access.set_rule("user", CAROL, False, changed_by=ALICE)
        case "deny-page-group":
            await services.access.set_rule("chat", GROUP, False, changed_by=ALICE)
    await _page(world, ops)
    assert world.kv.state.calls == {}, change


async def test_after_hours_team_deleted_before_the_page(world: World) -> None:
    """Night is deleted after ``/team after-hours``: the page in quiet hours calls nobody."""
    ops = await make_ops(world, BOB, CAROL)
    await _night(world, ops)
    night = await world.services.oncall.team_named("en", "night")
    await world.services.oncall.delete("en", ALICE, night)
    answer = await _page(world, ops)
    assert answer is not None
    assert world.kv.state.calls == {}


async def test_urgent_without_urgent_only_places_nothing(world: World) -> None:
    """Quiet 12:00-13:00 without ``urgent-only``: ``/page ops urgent db down`` calls nobody."""
    ops = await make_ops(world, BOB, CAROL, ERIN)
    await world.services.oncall.set_quiet("en", ALICE, ops.team, ["12:00-13:00"])
    ops.team = await world.services.oncall.team_named("en", "ops")
    answer = await _page(world, ops, reason="urgent db down")
    assert answer is not None
    assert world.kv.state.calls == {}


async def test_after_hours_page_with_spent_pager_quota(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Control for quotas: CALLS_PER_MINUTE=1 spent by Carol's /call; her after-hours page
    pays for nothing more (checked at claim_page)."""
    async for world in on_call_world(sqlite_url, kv, clock, calls_per_minute=1):
        ops = await make_ops(world, BOB, CAROL)
        await _night(world, ops)
        await world.call("@bob_k", caller=CAROL, chat_id=GROUP)
        before = len(world.kv.state.calls)
        assert before == 1
        await _page(world, ops)
        assert len(world.kv.state.calls) == before
