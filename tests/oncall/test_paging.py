"""``/page`` on the fast layer: whom a page rings and in what order, who is skipped and why,
what the group's notice says at each step, and who hears of a page nobody answered."""

from __future__ import annotations

import pytest

from bot.core.clock import ManualClock
from kavenegar.sandbox import CALL_WINDOW, KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, visible
from .conftest import CAROL, DAVE, ERIN, Ops, make_ops, on_call_world, profile


@pytest.fixture
async def ops(world: World) -> Ops:
    """Team ops: Bob, Carol and Dave, in that order (Bob on call)."""
    return await make_ops(world, BOB, CAROL, DAVE)


async def test_the_person_on_call_is_rung_first_then_the_rotation_never_the_pager(
    world: World,
) -> None:
    """Carol covers, so she is rung first; then the rotation order from her, wrapping around
    and leaving out Alice, who pages; the third call is answered and the page stops there."""
    ops = await make_ops(world, ALICE, BOB, CAROL, DAVE)
    covered = await world.services.oncall.cover("en", BOB, ops.team, [], profile(CAROL), "4h")
    assert visible(covered).startswith("Carol is on call for ops until")
    notice = await ops.page("database down")
    await ops.until(lambda: len(ops.rung()) == 3, what="the third call")
    (bobs_call,) = ops.calls_to(BOB)
    world.kv.state.answer(bobs_call.id)
    await ops.until_over(notice)
    assert ops.rung() == [CAROL, DAVE, BOB]  # one paid call each, Alice none
    assert ops.notice(notice) == [
        "📟 Alice paged ops",
        "Reason: database down",
        "Ringing Carol (attempt 1)…",
        "Carol didn't answer (missed).",
        "Ringing Dave (attempt 2)…",
        "Dave didn't answer (missed).",
        "Ringing Bob (attempt 3)…",
        "✅ Answered by Bob after 3 attempts.",
    ]
    # each one rung got the token with the page's reason; the pager is told of no failure
    for person in (CAROL, DAVE, BOB):
        assert any("database down" in text for text in world.messenger.texts(person))
    assert not any("Nobody answered" in text for text in world.messenger.texts(ALICE))
    ops.clock.advance(600)
    await world.settle()
    assert len(ops.rung()) == 3  # an answered page rings nobody else


async def test_each_person_is_rung_again_before_the_next(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """``PAGE_RETRIES=1``: every person gets a second call before the page moves on."""
    async for world in on_call_world(sqlite_url, kv, clock, page_retries=1):
        ops = await make_ops(world, BOB, CAROL)
        notice = await ops.page(None)
        await ops.until_over(notice)
        assert ops.rung() == [BOB, BOB, CAROL, CAROL]
        assert ops.notice(notice)[:4] == [
            "📟 Alice paged ops",
            "Ringing Bob (attempt 1)…",
            "Bob didn't answer (missed).",
            "Ringing Bob (attempt 2)…",
        ]


async def test_who_cannot_be_rung_is_skipped_and_named(world: World) -> None:
    """Never pressed Start, do not disturb, blocked the bot, made uncallable by an admin: each
    is skipped without a call, and the notice says who and why."""
    await world.person(ERIN, "Erin", "erin_k", started=False)  # seen in the group only
    ops = await make_ops(world, BOB, CAROL, DAVE, ERIN, ALICE)
    await world.store.set_dnd(BOB, True)
    await world.store.set_dm_open(CAROL, False)
    await world.store.set_uncallable(DAVE, True, changed_by=ALICE)
    notice = await ops.page("disk full")
    await ops.until_over(notice)
    assert ops.rung() == []  # no paid call at all: Alice, the only one left, paged
    assert ops.notice(notice) == [
        "📟 Alice paged ops",
        "Reason: disk full",
        "Bob skipped: 🔕 do not disturb.",
        "Carol skipped: ⛔ blocked the bot.",
        "Dave skipped: 🚫 can't be called.",
        "Erin skipped: ⏳ never pressed Start.",
        "❌ Nobody answered.",
    ]


async def test_the_skipped_are_passed_over_for_the_next_who_can_be_rung(ops: Ops) -> None:
    await ops.world.store.set_dnd(BOB, True)
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="a call")
    assert ops.rung() == [CAROL]
    assert ops.notice(notice)[2:] == [
        "Bob skipped: 🔕 do not disturb.",
        "Ringing Carol (attempt 1)…",
    ]


async def test_a_page_nobody_answers_tells_the_pager_privately(ops: Ops) -> None:
    notice = await ops.page("database down")
    await ops.until_over(notice)
    assert ops.rung() == [BOB, CAROL, DAVE]
    assert ops.notice(notice)[-2:] == ["Dave didn't answer (missed).", "❌ Nobody answered."]
    told = "📟 Nobody answered your page of ops."
    assert ops.world.messenger.texts(ALICE).count(told) == 1
    for member in (BOB, CAROL, DAVE):
        assert told not in ops.world.messenger.texts(member)
    ops.clock.advance(600)
    await ops.world.settle()
    assert len(ops.rung()) == 3  # over: nobody is rung again
    assert ops.world.messenger.texts(ALICE).count(told) == 1


async def test_a_declined_call_moves_the_page_on_at_once(ops: Ops) -> None:
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    (bobs_call,) = ops.calls_to(BOB)
    ops.world.kv.state.finish(bobs_call.id, "rejected")
    await ops.until(lambda: len(ops.rung()) == 2, step=1.0, what="Carol rung")
    assert ops.clock.now() - bobs_call.created_at < CALL_WINDOW  # not the end of Bob's minute
    assert ops.notice(notice)[2:] == [
        "Ringing Bob (attempt 1)…",
        "Bob didn't answer (declined).",
        "Ringing Carol (attempt 2)…",
    ]


async def test_one_who_left_the_team_is_passed_over(ops: Ops) -> None:
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    team = ops.team
    gone = await ops.world.services.oncall.remove("en", ALICE, team, [], profile(CAROL))
    assert visible(gone) == "Carol left ops."
    await ops.until(lambda: len(ops.rung()) == 2, what="the next one rung")
    assert ops.rung() == [BOB, DAVE]
    assert "Carol left the team." in ops.notice(notice)
