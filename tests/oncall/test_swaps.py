"""Issue 22 item 2 on the fast layer: who may ask for a swap, for which shift, and its end."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.buttons import Press, PressKind
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
