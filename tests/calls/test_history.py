"""/history and /stats read through the domain: names, directions, and the window on the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.clock import ManualClock
from bot.core.records import CallStatus
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import ALICE, BOB, GROUP


@pytest.fixture
async def world(sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock) -> AsyncIterator[World]:
    async for made in make_world(sqlite_url, kv, clock=clock):
        await made.pair()
        yield made


async def test_history_names_the_other_side_in_both_directions(world: World) -> None:
    await world.call("@bob_k")
    await world.call("@alice_k", caller=BOB)
    mine = await world.services.history.recent(ALICE, limit=10)
    assert [(c.outgoing, c.other_name) for c in mine] == [(False, "Bob"), (True, "Bob")]
    await world.services.people.forget(BOB)  # a forgotten person is shown by id, not lost
    assert [c.other_name for c in await world.services.history.recent(ALICE, limit=10)] == [
        str(BOB),
        str(BOB),
    ]
    assert len(await world.services.history.recent(ALICE, limit=1)) == 1


async def test_stats_count_the_days_before_the_bots_clock(world: World) -> None:
    await world.call("@bob_k")
    world.clock.advance(3 * 86_400)
    await world.call("@alice_k", caller=BOB, chat_id=GROUP)
    assert (await world.services.history.stats(7)).placed == 2
    recent = await world.services.history.stats(2)  # the first call is 3 days old
    assert recent.placed == 1 and recent.days == 2
    assert recent.answered == 0 and recent.answered_share == 0.0
    assert [r.status for r in await world.store.calls_since(world.services.history.since(2))] == [
        CallStatus.CREATED
    ]
