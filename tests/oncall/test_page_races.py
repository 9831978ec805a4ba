"""Probes (held): a page's attempts apply /call's rules at the moment each attempt is placed."""

from __future__ import annotations

from ..domain import World
from ..helpers import ALICE, BOB
from .conftest import CAROL, DAVE, make_ops


async def test_a_denied_member_is_never_rung_and_the_page_goes_on(world: World) -> None:
    ops = await make_ops(world, BOB, CAROL, DAVE)
    await world.services.access.set_rule("user", BOB, False, changed_by=ALICE)
    notice = await ops.page("disk full")
    await ops.until(lambda: len(ops.rung()) >= 1, what="a call")
    assert ops.rung()[0] == CAROL
    assert ops.calls_to(BOB) == []
    _ = notice


async def test_a_pager_denied_mid_page_places_no_more_calls(world: World) -> None:
    ops = await make_ops(world, BOB, CAROL, DAVE)
    notice = await ops.page("disk full")
    await ops.until(lambda: len(ops.rung()) == 1, what="the first call")
    await world.services.access.set_rule("user", ALICE, False, changed_by=BOB)
    await ops.until_over(notice)
    assert ops.rung() == [BOB]


async def test_a_page_whose_group_is_denied_mid_page_places_no_more_calls(
    world: World,
) -> None:
    from ..helpers import GROUP

    ops = await make_ops(world, BOB, CAROL, DAVE)
    notice = await ops.page("disk full")
    await ops.until(lambda: len(ops.rung()) == 1, what="the first call")
    await world.services.access.set_rule("chat", GROUP, False, changed_by=BOB)
    await ops.until_over(notice)
    assert ops.rung() == [BOB]
