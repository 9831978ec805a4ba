"""``/team after-hours``: a page in a team's quiet hours goes only to a team of the same group or
of the same owner, checked when it is set and again at each page (issue 22)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.core.parsing import Mention
from bot.oncall.service import Refused

from ..domain import World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, ERIN, make_ops

OTHER_GROUP = -100777


async def test_after_hours_to_another_owners_team_in_another_group_is_refused(
    world: World,
) -> None:
    """Alice owns ops; Erin owns night, a team of another group, with Dave in it. Alice's
    ``/team after-hours ops night`` is refused ("its people never agreed"), so a quiet-hours page
    of ops never pays for a call to Dave."""
    ops = await make_ops(world, BOB, CAROL)
    oncall = world.services.oncall
    await oncall.create("en", ERIN, OTHER_GROUP, False, "night")
    night = await oncall.team_named("en", "night")
    await oncall.add("en", ERIN, night, [Mention("@dave_k", "dave_k")], None)
    with pytest.raises(Refused) as refused:
        await oncall.set_after_hours("en", ALICE, ops.team, "night")
    assert "its people never agreed to be paged for ops" in visible(refused.value.text)
    team = await oncall.team_named("en", "ops")
    assert team.after_hours_team_id is None


async def test_an_after_hours_team_handed_to_another_owner_is_not_paged(world: World) -> None:
    """Alice owns ops and night (another group): after-hours is accepted. Night is then handed
    to Erin: a page of ops in its quiet hours calls nobody in night, and the answer says why."""
    ops = await make_ops(world, BOB, CAROL)
    oncall = world.services.oncall
    await oncall.create("en", ALICE, OTHER_GROUP, False, "night")
    night = await oncall.team_named("en", "night")
    await oncall.add("en", ALICE, night, [Mention("@dave_k", "dave_k")], None)
    said = await oncall.set_after_hours("en", ALICE, ops.team, "night")
    assert "goes to night instead" in visible(said)
    await oncall.set_quiet("en", ALICE, ops.team, ["12:00-13:00"])  # now is 12:30 in Tehran
    async with world.store.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE teams SET owner_id = :o WHERE id = :i"), {"o": ERIN, "i": night.id}
        )
    ops.team = await oncall.team_named("en", "ops")
    carol = await world.store.get_user(CAROL)
    assert carol is not None
    answer = await world.services.pages.start(
        "en", carol, ops.team, chat_id=GROUP, message_id=1000, reason="db down"
    )
    await world.settle()
    assert ops.calls_to(DAVE) == [] and ops.calls_to(BOB) == []
    assert answer is not None and "no call was placed" in answer
    assert "night is no longer of this group nor of the same owner" in visible(answer)
