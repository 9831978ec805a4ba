"""Probes (held): the watcher under a Kavenegar that answers every poll with 429 asking for an
hour: polls pause 60 s at most, rings still time out on the second, calls still end by age."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.calls.watcher import GRACE
from bot.core.clock import ManualClock
from bot.core.records import CallOutcome
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB
from .test_follow_up import Follow, make_follow


@pytest.fixture
async def follow(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[Follow]:
    async for made in make_follow(sqlite_url, kv, clock, flow="ring", ring_timeout=30):
        await made.pair()
        yield made


async def test_an_hour_long_retry_after_never_holds_up_rings_or_the_age_limit(
    follow: Follow,
) -> None:
    from bot.calls.service import CallRequest

    alice = await follow.store.get_user(ALICE)
    assert alice is not None
    # a direct call (placed through a direct replica on the same store), then a ring
    direct = follow.replica("direct-b", call_flow="direct", kavenegar_poll_rps=50)
    placed = await direct.calls.handle(
        CallRequest(chat_id=ALICE, message_id=1, caller=alice.profile, args_text=" @bob_k 1m")
    )
    assert placed.call_row_id is not None
    follow.kv.add_fault(
        method="GET", path="/calls", status=429, headers={"Retry-After": "3600"}, times=None
    )
    follow.clock.advance(2)
    await follow.watcher.tick()  # the poll: 429, an hour asked
    paused_from = follow.clock.now()
    ring = await follow.call("@bob_k")
    assert ring.call_row_id is not None
    follow.clock.advance(30)
    await follow.watcher.tick()
    rang = await follow.store.get_call(ring.call_row_id)
    assert rang is not None and rang.outcome is CallOutcome.MISSED  # on time, in the pause
    # polls resume after 60 s at most (not the hour asked)
    polls = follow.watcher.polls
    follow.clock.advance((paused_from - follow.clock.now()).total_seconds() + 61)
    await follow.watcher.tick()
    assert follow.watcher.polls > polls
    # every poll fails: it ends by age, max_duration (60 s) + GRACE
    ended = await follow.until_closed(placed.call_row_id, step=10, limit=60 + GRACE.seconds + 60)
    assert ended.outcome is CallOutcome.EXPIRED
    _ = BOB
