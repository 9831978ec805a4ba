"""Issue 22 item 2 on the fast layer: who may ask for a swap, for which shift, and its end."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from bot.core.buttons import Press, PressKind
from bot.core.messages import Delivery
from bot.core.parsing import Mention
from bot.core.records import SwapStatus
from bot.oncall.service import Refused
from bot.oncall.swaps import parse_day

from ..domain import World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, ERIN, Ops, make_ops


async def daily_ops(world: World) -> Ops:
    """ops (Bob, Carol, Dave), handing over daily at 09:00 in Tehran: Bob is on call now."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    oncall = world.services.oncall
    await oncall.set_rotation("en", ALICE, ops.team, "daily", "09:00", "Asia/Tehran")
    return ops


async def ask(world: World, who: int, *words: str, mention: str | None = None) -> str | None:
    ops = await world.services.oncall.team_named("en", "ops")
    asker = await world.store.get_user(who)
    assert asker is not None
    mentions = [Mention(f"@{mention}", mention)] if mention else []
    return await world.services.swaps.request(
        "en", asker, ops, list(words), mentions, reply_to=(77, None)
    )


async def test_only_a_member_with_a_shift_may_ask_and_only_once(world: World) -> None:
    await daily_ops(world)
    with pytest.raises(Refused) as stranger:
        await ask(world, ERIN)  # not in the team
    assert stranger.value.text == "Only members of ops can swap its shifts."
    with pytest.raises(Refused) as refused:
        await ask(world, CAROL, "now")  # Carol is on tomorrow, not now
    assert refused.value.text == "You have no shift of ops to swap (now or in the next 8 weeks)."
    assert await ask(world, CAROL) is None  # her next shift: the notice is the answer
    with pytest.raises(Refused) as again:
        await ask(world, CAROL, "next")
    assert again.value.text == "You already asked for that shift of ops to be taken."
    with pytest.raises(Refused) as bad:
        await ask(world, BOB, "tomorrow")
    assert bad.value.text.startswith("Use <code>/swap NAME</code>")
    with pytest.raises(Refused) as outsider:
        await ask(world, BOB, mention="erin_k")
    assert visible(outsider.value.text) == "Erin can't take it: only your teammates in it can."


async def test_a_take_by_someone_outside_the_team_or_by_the_asker_is_refused(world: World) -> None:
    await daily_ops(world)
    assert await ask(world, BOB) is None
    (notice,) = [m for m in world.messenger.to(GROUP) if m.buttons]
    assert notice.buttons[0].data is not None
    press = Press(PressKind.SWAP_TAKE, int(notice.buttons[0].data.split(":")[-1]))
    swaps = world.services.swaps
    assert (await swaps.press(ERIN, press)).key == "swap_members_only"
    assert (await swaps.press(BOB, press)).key == "swap_own"
    assert (await swaps.press(CAROL, press)).key == "swap_take_done"
    assert (await swaps.press(DAVE, press)).key == "swap_gone"
    swap = await world.store.teams.swap(press.id)
    assert swap is not None and swap.status is SwapStatus.TAKEN and swap.taken_by == CAROL


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-12-03", date(2026, 12, 3)),
        ("1405-09-12", date(2026, 12, 3)),  # Solar Hijri, as Iranians write it
        ("۱۴۰۵/۰۹/۱۲", date(2026, 12, 3)),  # with Persian digits
        ("2026-02-30", None),
        ("1405-13-01", None),
        ("next", None),
        ("03-12-2026", None),
    ],
)
def test_a_typed_day(typed: str, day: date | None) -> None:
    assert parse_day(typed) == day


async def test_a_swap_of_the_shift_on_a_given_day(world: World) -> None:
    await daily_ops(world)  # Bob on Monday (now), Carol Tuesday, Dave Wednesday, Bob Thursday
    assert await ask(world, BOB, "۱۴۰۵-۰۹-۱۲") is None  # Thursday 2026-12-03
    notice = world.messenger.texts(GROUP)[-1]
    assert "their shift of ops: Thu 2026-12-03 09:00 (Asia/Tehran) until Fri 2026-12-04" in notice
    with pytest.raises(Refused) as refused:
        await ask(world, BOB, "2026-12-01")  # Carol's day
    assert refused.value.text.startswith("You have no shift of ops to swap")


def take_press(world: World, chat: int = GROUP) -> Press:
    """The Take under the latest notice with a button in ``chat``."""
    (notice, *_) = [m for m in reversed(world.messenger.to(chat)) if m.buttons]
    data = notice.buttons[0].data
    assert data is not None
    return Press(PressKind.SWAP_TAKE, int(data.split(":")[-1]))


async def test_taking_a_later_swap_keeps_the_askers_current_cover(world: World) -> None:
    """Dave covers Bob's shift right now and asks for his own Wednesday shift to be taken.
    Carol takes Wednesday: Dave is still on call now (his cover stays), Carol on Wednesday."""
    ops = await daily_ops(world)  # Bob on now; Carol Tue, Dave Wed, Bob Thu
    oncall = world.services.oncall
    await oncall.cover("en", ALICE, ops.team, [Mention("@dave_k", "dave_k")], None, "4h")
    assert (await oncall.on_call_now(ops.team)).member == DAVE
    assert await ask(world, DAVE, "next") is None  # his Wednesday shift
    answer = await world.services.swaps.press(CAROL, take_press(world))
    assert answer.key == "swap_take_done"
    assert (await oncall.on_call_now(ops.team)).member == DAVE
    week = visible(await oncall.week("en", ops.team))
    assert "Dave (cover)" in week and "Carol (cover)" in week, week


async def test_the_next_shifts_swap_can_still_be_taken_after_todays_was(world: World) -> None:
    """Bob asks for today's shift to be taken, Carol for tomorrow's. Dave takes Bob's; Bob can
    then take Carol's: back-to-back swaps are both taken, each a cover of its own shift."""
    ops = await daily_ops(world)
    assert await ask(world, BOB) is None  # today's shift
    bob_press = take_press(world)
    assert await ask(world, CAROL, "next") is None  # tomorrow's
    carol_press = take_press(world)
    assert carol_press != bob_press
    assert (await world.services.swaps.press(DAVE, bob_press)).key == "swap_take_done"
    assert (await world.services.swaps.press(BOB, carol_press)).key == "swap_take_done"
    assert (await world.services.oncall.on_call_now(ops.team)).member == DAVE
    ops.clock.advance(24 * 3600)
    assert (await world.services.oncall.on_call_now(ops.team)).member == BOB


def notice_id(world: World, chat: int = GROUP) -> int:
    """The message id (in ``chat``) of the latest notice with a Take button."""
    sent = world.messenger.to(chat)
    return max(i + 1 for i, m in enumerate(sent) if m.buttons)


async def test_an_expired_swap_of_a_deleted_team_ends_told(world: World) -> None:
    """Carol asks for her Tuesday shift to be taken; the owner deletes the team. At the deadline
    the group's notice says the request is over (no button) and Carol is told privately."""
    ops = await daily_ops(world)
    assert await ask(world, CAROL, "next") is None
    press, notice = take_press(world), notice_id(world)
    before = len(world.messenger.to(CAROL))
    await world.services.oncall.delete("en", ALICE, ops.team)
    for _ in range(30):
        ops.clock.advance(3600)
        await world.settle()
    swap = await world.store.teams.swap(press.id)
    assert swap is not None and swap.status is SwapStatus.EXPIRED
    assert world.messenger.current[(GROUP, notice)].buttons == ()
    assert world.messenger.now_reads(GROUP, notice) == (
        "⌛ This request is over: its team was deleted."
    )
    assert world.messenger.texts(CAROL)[before:] == [
        "⌛ Your request for a shift to be taken is over: its team was deleted."
    ]


async def test_a_swap_of_a_member_removed_from_the_team_cannot_be_taken(world: World) -> None:
    """Carol asks for her Tuesday shift to be taken, then the owner removes her from the team.
    Bob's Take is refused ("no longer theirs"), the request ends cancelled: its notice edited
    without its button, Carol told; nobody covers a shift that is no longer hers."""
    ops = await daily_ops(world)
    assert await ask(world, CAROL, "next") is None
    press, notice = take_press(world), notice_id(world)
    await world.services.oncall.remove(
        "en", ALICE, ops.team, [Mention("@carol_k", "carol_k")], None
    )
    answer = await world.services.swaps.press(BOB, press)
    assert answer.key == "swap_cancelled" and answer.alert
    swap = await world.store.teams.swap(press.id)
    assert swap is not None and swap.status is SwapStatus.CANCELLED
    assert await world.store.teams.covers(ops.team.id, now=ops.clock.now()) == []
    assert world.messenger.current[(GROUP, notice)].buttons == ()
    assert world.messenger.now_reads(GROUP, notice).startswith("✖️ Carol's request")
    assert world.messenger.texts(CAROL)[-1].startswith("✖️ Your request for your shift of ops")
    again = await world.services.swaps.press(DAVE, press)
    assert again.key == "swap_over"


async def test_a_swap_whose_shift_a_new_rotation_gave_away_cannot_be_taken(world: World) -> None:
    """Carol asks for her Tuesday shift; the owner then makes the rotation weekly,
    so Bob keeps the whole week and Tuesday is no longer hers: a Take ends it cancelled."""
    ops = await daily_ops(world)
    assert await ask(world, CAROL, "next") is None
    press = take_press(world)
    await world.services.oncall.set_rotation("en", ALICE, ops.team, "weekly", "09:00", None)
    answer = await world.services.swaps.press(DAVE, press)
    assert answer.key == "swap_cancelled"


async def test_a_swap_asked_of_someone_who_blocked_the_bot_is_not_kept_open(world: World) -> None:
    """Bob types ``/swap ops @dave_k``; Dave blocked the bot since. Bob is told Dave can't be
    reached and nothing was asked; no request stays open, so Bob may ask someone else."""
    await daily_ops(world)
    world.messenger.deliveries[DAVE] = Delivery.BLOCKED
    with pytest.raises(Refused) as refused:
        await ask(world, BOB, mention="dave_k")
    assert visible(refused.value.text) == (
        "I couldn't reach Dave privately (they may have blocked me): nothing was asked."
    )
    assert await ask(world, BOB, mention="carol_k") is not None  # asked anew, not "already"


async def test_a_swap_notice_that_could_not_be_posted_is_not_kept_open(world: World) -> None:
    """The group's notice could not be posted (the bot was removed from it): Bob is told that
    nothing was asked, and may ask again once it can be."""
    await daily_ops(world)
    world.messenger.deliveries[GROUP] = Delivery.GONE
    with pytest.raises(Refused) as refused:
        await ask(world, BOB)
    assert "couldn't post the request in ops's group" in visible(refused.value.text)
    del world.messenger.deliveries[GROUP]
    assert await ask(world, BOB) is None


async def test_a_day_with_a_person_is_honoured(world: World) -> None:
    """Bob (on call now, and again on Thursday) types ``/swap ops 2026-12-03 @dave_k``: Dave is
    asked for Bob's Thursday shift, not today's; two words are refused with the usage."""
    await daily_ops(world)
    assert await ask(world, BOB, "2026-12-03", mention="dave_k") is not None
    swap = await world.store.teams.swap(take_press(world, DAVE).id)
    assert swap is not None
    assert swap.starts == datetime(2026, 12, 3, 5, 30)  # Thu 09:00 in Tehran
    with pytest.raises(Refused):
        await ask(world, BOB, "next", "now")


async def test_a_person_the_admins_denied_takes_no_shift(world: World) -> None:
    """An admin denied Dave: his Take is refused (no call would reach him, so the shift would be
    uncovered), he cannot be asked privately, and ``/cover`` refuses him too."""
    ops = await daily_ops(world)
    await world.services.access.set_rule("user", DAVE, False, changed_by=ALICE)
    assert await ask(world, BOB) is None
    answer = await world.services.swaps.press(DAVE, take_press(world))
    assert answer.key == "shift_left_out" and answer.alert
    with pytest.raises(Refused) as asked:
        await ask(world, CAROL, "next", mention="dave_k")
    assert "Dave can't take shifts" in visible(asked.value.text)
    with pytest.raises(Refused):
        await world.services.oncall.cover(
            "en", ALICE, ops.team, [Mention("@dave_k", "dave_k")], None, "4h"
        )


async def test_expiry_happens_once_across_two_replicas(world: World) -> None:
    """An untaken request expires once, told once, whichever replica sees it."""
    ops = await daily_ops(world)
    assert await ask(world, CAROL, "next") is None
    other = world.replica("replica-b")
    ops.clock.advance(24 * 3600)
    await asyncio.gather(world.settle(), other.scheduler.tick())
    await asyncio.gather(world.settle(), other.scheduler.tick())
    said = [x for x in world.messenger.texts(CAROL) if "still yours" in x]
    assert len(said) == 1, said


async def test_a_take_of_a_deleted_teams_swap_ends_it_told(world: World) -> None:
    """Carol asks for her Tuesday shift; the owner deletes the team; Bob presses Take: "This
    request is over", the notice says the team was deleted (no button), Carol is told."""
    ops = await daily_ops(world)
    assert await ask(world, CAROL, "next") is None
    press, notice = take_press(world), notice_id(world)
    await world.services.oncall.delete("en", ALICE, ops.team)
    answer = await world.services.swaps.press(BOB, press)
    assert answer.key == "swap_over"
    swap = await world.store.teams.swap(press.id)
    assert swap is not None and swap.status is SwapStatus.CANCELLED
    assert world.messenger.current[(GROUP, notice)].buttons == ()
    assert world.messenger.texts(CAROL)[-1] == (
        "⌛ Your request for a shift to be taken is over: its team was deleted."
    )
