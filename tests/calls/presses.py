"""What the press, ring and placing tests share: a world of Alice, Bob and Carol on a moved clock,
a press as the handlers make it, and the calls they start from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bot.core.buttons import UNKNOWN, PressAnswer, decode
from bot.core.clock import ManualClock
from bot.core.people import UserProfile
from bot.core.records import CallOutcome, CallRecord, PlaceResult
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import GROUP

CAROL = 3003


async def worlds(
    db_url: str, kv: KavenegarSandbox, clock: ManualClock, **settings: Any
) -> AsyncIterator[World]:
    """Alice, Bob and Carol, signed up; the bot and Kavenegar on ``clock``; replica "live"."""
    async for made in make_world(db_url, kv, clock=clock, owner="live", **settings):
        await made.pair()
        await made.person(CAROL, "Carol", "carol_k")
        yield made


async def pressed(world: World, who: int, data: str) -> PressAnswer:
    """A press as the handlers make it: data that decodes to nothing is unknown."""
    record = await world.store.get_user(who)
    profile = record.profile if record else UserProfile(who, f"User {who}")
    press = decode(data)
    return UNKNOWN if press is None else await world.presses.press(profile, press)


def posts(world: World) -> list[dict[str, Any]]:
    """The requests to Kavenegar that create something (each ``POST /calls`` is paid)."""
    return [r for r in world.kv.requests if r["method"] == "POST"]


async def missed_call(world: World) -> CallRecord:
    """Alice called Bob in the group; he never picked up: the notice offers "Call again"."""
    report = await world.call("@bob_k")
    assert report.outcome is PlaceResult.PLACED and report.call_row_id is not None
    await world.store.close_call(report.call_row_id, outcome=CallOutcome.MISSED)
    record = await world.store.get_call(report.call_row_id)
    assert record is not None
    return record


async def ring(world: World, chat_id: int = GROUP) -> CallRecord:
    """Alice rings Bob (``CALL_FLOW=ring``)."""
    report = await world.call("@bob_k", chat_id=chat_id)
    assert report.outcome is PlaceResult.RINGING and report.call_row_id is not None
    record = await world.store.get_call(report.call_row_id)
    assert record is not None
    return record
