""" "Call now" (issue 22) where money is at stake: every press is checked as /call is, at the moment
it acts, answers once, and never pays twice or for a refused call."""

from __future__ import annotations

import pytest

from bot.core.buttons import Press, PressKind, decode
from bot.core.clock import ManualClock
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .conftest import CAROL, DAVE, make_ops, on_call_world


def posts(world: World) -> int:
    return len(world.kv.state.calls)


def kv_posts(world: World) -> int:
    return sum(1 for r in world.kv.requests if r["method"] == "POST" and "calls" in r["path"])


async def _press(world: World, who: int, team_id: int, member: int, *, chat_id: int, mid: int):
    person = await world.store.get_user(who)
    assert person is not None
    press = Press(PressKind.CALL_NOW, team_id, member=member)
    return await world.services.call_now.press(
        person.profile, press, chat_id=chat_id, message_id=mid
    )


async def test_call_now_over_quota_answer_can_be_shown(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """CALLS_PER_MINUTE=1: Carol's second "Call now" within the minute is refused for the
    quota: one paid call, and Carol's alert says how many calls a minute she may place (its
    text could not be made once, and the press was never answered)."""
    async for world in on_call_world(sqlite_url, kv, clock, calls_per_minute=1):
        ops = await make_ops(world, BOB, CAROL, DAVE)
        first = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=11)
        assert first.key == "callback_calling", first
        second = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=12)
        assert second.alert and second.key == "quota_minute", second
        assert posts(world) == 1
        text = second.text("en")  # what answer_callback would send
        assert "1" in text


@pytest.mark.parametrize(
    "change",
    [
        "dnd",
        "uncallable",
        "callee-blocked",
        "presser-blocked",
        "deny-callee",
        "deny-presser",
        "allow-list",
    ],
)
async def test_call_now_keeps_the_rules(world: World, change: str) -> None:
    """Whatever /call refuses, "Call now" refuses too: no paid call, an alert."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    services = world.services
    match change:
        case "dnd":
            await services.people.set_dnd(BOB, True)
        case "uncallable":
            await services.people.set_callable(BOB, False, changed_by=ALICE)
        case "callee-blocked":
            await services.people.set_reachable(BOB, False)
        case "presser-blocked":
            await services.people.set_reachable(CAROL, False)
        case "deny-callee":
            await services.access.set_rule("user", BOB, False, changed_by=ALICE)
        case "deny-presser":
            await services.access.set_rule("user", CAROL, False, changed_by=ALICE)
        case "allow-list":
            await services.access.set_rule("user", DAVE, True, changed_by=ALICE)
    for chat_id in (GROUP, CAROL):
        answer = await _press(world, CAROL, ops.team.id, BOB, chat_id=chat_id, mid=31)
        assert answer.alert, (change, chat_id, answer)
    assert posts(world) == 0


@pytest.mark.parametrize(
    "change",
    [
        "dnd",
        "uncallable",
        "callee-blocked",
        "deny-callee",
        "deny-group",
        "deny-presser",
        "presser-blocked",
    ],
)
async def test_rung_call_now_answer_rechecks_everything(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock, change: str
) -> None:
    """CALL_FLOW=ring: the press rings Bob; something changes; Bob answers: nothing is paid."""
    async for world in on_call_world(sqlite_url, kv, clock, call_flow="ring"):
        ops = await make_ops(world, BOB, CAROL, DAVE)
        rung = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=41)
        assert rung.key == "callback_calling", rung
        (ring,) = [m for m in world.messenger.to(BOB) if m.buttons]
        answer = decode(ring.buttons[0].data)
        assert answer is not None and answer.kind is PressKind.RING_ANSWER
        services = world.services
        match change:
            case "dnd":
                await services.people.set_dnd(BOB, True)
            case "uncallable":
                await services.people.set_callable(BOB, False, changed_by=ALICE)
            case "callee-blocked":
                await services.people.set_reachable(BOB, False)
            case "presser-blocked":
                await services.people.set_reachable(CAROL, False)
            case "deny-callee":
                await services.access.set_rule("user", BOB, False, changed_by=ALICE)
            case "deny-presser":
                await services.access.set_rule("user", CAROL, False, changed_by=ALICE)
            case "deny-group":
                await services.access.set_rule("chat", GROUP, False, changed_by=ALICE)
        bob = await world.store.get_user(BOB)
        assert bob is not None
        said = await services.presses.press(bob.profile, answer)
        assert said.alert, said
        assert posts(world) == 0


async def test_rung_call_now_of_a_deleted_team_answered_from_a_denied_group_pays_nothing(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """CALL_FLOW=ring: Carol's Call now in the group rings Bob; an admin then denies the group
    and the team is deleted; Bob's Answer cannot tell which group's rules applied any more:
    he is told the team is gone, and nothing is paid (the ring times out as rings do)."""
    async for world in on_call_world(sqlite_url, kv, clock, call_flow="ring"):
        ops = await make_ops(world, BOB, CAROL, DAVE)
        rung = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=51)
        assert rung.key == "callback_calling", rung
        (ring,) = [m for m in world.messenger.to(BOB) if m.buttons]
        answer = decode(ring.buttons[0].data)
        assert answer is not None and answer.kind is PressKind.RING_ANSWER
        services = world.services
        await services.access.set_rule("chat", GROUP, False, changed_by=ALICE)
        await world.store.teams.delete(ops.team.id, now=clock.now())
        bob = await world.store.get_user(BOB)
        assert bob is not None
        said = await services.presses.press(bob.profile, answer)
        assert said.alert and said.text("en") == "This team no longer exists.", said
        assert posts(world) == 0


async def test_call_now_kavenegar_5xx_is_not_try_again_and_not_placed_twice(world: World) -> None:
    """POST /calls answers 500 (the call may exist). Carol must not be told to try again, and
    pressing the same button again must not POST a second call."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    world.kv.add_fault(kind="status", status=500, method="POST", path="/calls", times=1)
    before = kv_posts(world)
    first = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=61)
    assert first.key == "callback_see_chat", first
    said = " ".join(world.messenger.texts(CAROL)).lower()
    assert "try again in" not in said and "wait a minute" in said, said
    second = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=61)
    assert second.key == "call_now_already", second
    assert kv_posts(world) - before <= 1, world.kv.requests


async def test_call_now_kavenegar_timeout_answer_after(world: World) -> None:
    """The POST's answer is lost (the call was created at Kavenegar). One call exists; Carol is
    not told to try again; a second press places nothing."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    world.kv.add_fault(kind="reset", method="POST", path="/calls", after=True, times=1)
    await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=71)
    said = " ".join(world.messenger.texts(CAROL)).lower()
    assert "try again in" not in said and "wait a minute" in said, said
    second = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=71)
    assert second.key == "call_now_already", second
    assert posts(world) == 1


async def test_call_now_kavenegar_429_second_press(world: World) -> None:
    """429 once: certainly not created; whatever the press says matches what exists (calling
    -> exactly one call; otherwise none), and a second press of it never makes two."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    world.kv.add_fault(kind="status", status=429, method="POST", path="/calls", times=1)
    first = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=81)
    assert posts(world) == (1 if first.key == "callback_calling" else 0), first
    await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=81)
    assert posts(world) <= 1


async def test_call_now_busy_then_the_same_button_calls_once(world: World) -> None:
    """Kavenegar says 429 on every try: "busy, try again in …". Once it is back, the same button
    (the key certainly never placed) calls once; pressed again, nothing more."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    world.kv.add_fault(kind="status", status=429, method="POST", path="/calls", times=None)
    first = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=91)
    assert first.key != "callback_calling" and posts(world) == 0, first
    world.kv.faults.clear()
    second = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=91)
    assert second.key == "callback_calling", second
    third = await _press(world, CAROL, ops.team.id, BOB, chat_id=GROUP, mid=91)
    assert third.key == "call_now_already" and posts(world) == 1, third
