"""What the call watcher claims: the work that needs no poll apart from the poll budget."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core.records import CallOutcome, CallStatus, Claimed
from bot.storage import Store

NOW = datetime(2026, 11, 30, 9, 0, 0)
GRACE = timedelta(minutes=5)
ago = lambda seconds: NOW - timedelta(seconds=seconds)  # noqa: E731


async def call(
    store: Store,
    message_id: int,
    *,
    age: float,
    due: float,
    status: CallStatus = CallStatus.CREATED,
    kavenegar_call_id: str | None = "kv",
    max_duration: int = 600,
) -> int:
    """A call created ``age`` seconds before NOW, due ``due`` seconds before NOW."""
    claim = await store.claim_call(
        chat_id=-5,
        message_id=message_id,
        caller_id=1,
        callee_id=2,
        max_duration=max_duration,
        now=ago(age),
    )
    assert isinstance(claim, Claimed)
    await store.finish_call(
        claim.row_id, status=status, kavenegar_call_id=kavenegar_call_id, next_check_at=ago(due)
    )
    return claim.row_id


async def test_calls_needing_no_poll_are_claimed_whatever_the_poll_budget(store: Store) -> None:
    old = await call(store, 1, age=200, due=10)
    young = await call(store, 2, age=10, due=0)
    ring = await call(store, 3, age=61, due=1, status=CallStatus.RINGING, kavenegar_call_id=None)
    aged = await call(store, 4, age=60 + 300 + 1, due=5, max_duration=60)
    almost = await call(store, 5, age=60 + 300 - 1, due=20, max_duration=60)
    no_id = await call(store, 6, age=30, due=3, kavenegar_call_id=None)
    told = await call(store, 7, age=400, due=400)
    await store.close_call(told, outcome=CallOutcome.MISSED, finished_at=ago(301))
    await call(store, 8, age=5, due=-2)  # not due yet
    common: dict[str, Any] = {"now": NOW, "lease": timedelta(seconds=30), "grace": GRACE}
    ringing_since = NOW - timedelta(seconds=70)

    paused = await store.claim_due_calls(
        "a", limit=0, chores=10, ringing_since=ringing_since, **common
    )
    assert {r.id for r in paused} == {ring, aged, no_id, told}
    one = await store.claim_due_calls(
        "a", limit=1, chores=10, ringing_since=ringing_since, **common
    )
    assert [r.id for r in one] == [young]  # the ringing window first
    for expected in (almost, old):  # then the longest waiting
        (next_one,) = await store.claim_due_calls(
            "a", limit=1, chores=10, ringing_since=ringing_since, **common
        )
        assert next_one.id == expected
    assert await store.claim_due_calls("b", limit=5, ringing_since=ringing_since, **common) == []


async def test_ringing_only_claims_no_older_call_to_poll(store: Store) -> None:
    """While a sweep runs, only the calls in their ringing window are claimed to poll."""
    old = await call(store, 1, age=200, due=10)
    young = await call(store, 2, age=10, due=0)
    ring = await call(store, 3, age=61, due=1, status=CallStatus.RINGING, kavenegar_call_id=None)
    common: dict[str, Any] = {"now": NOW, "lease": timedelta(seconds=30), "grace": GRACE}
    claimed = await store.claim_due_calls(
        "a", limit=5, chores=10, ringing_since=ago(70), ringing_only=True, **common
    )
    assert {r.id for r in claimed} == {ring, young}
    (left,) = await store.claim_due_calls("b", limit=5, ringing_since=ago(70), **common)
    assert left.id == old


async def test_the_chores_have_their_own_cap(store: Store) -> None:
    rings = [
        await call(store, i, age=61, due=10 - i, status=CallStatus.RINGING, kavenegar_call_id=None)
        for i in range(4)
    ]
    poll = await call(store, 9, age=30, due=0)
    claimed = await store.claim_due_calls(
        "a",
        now=NOW,
        lease=timedelta(seconds=30),
        limit=1,
        chores=2,
        ringing_since=NOW - timedelta(seconds=70),
    )
    assert [r.id for r in claimed][2:] == [poll]
    assert {r.id for r in claimed[:2]} == set(rings[:2])  # the longest waiting rings first


async def test_a_lapsed_lease_taken_by_another_replica_is_counted_as_a_takeover(
    store: Store,
) -> None:
    """Issue 20: kcb_lease_takeovers_total shows replicas that stopped mid-work."""
    from bot.storage import leases

    await call(store, 1, age=10, due=5)
    before = leases.TAKEOVERS["calls"]
    lease = timedelta(seconds=30)
    (mine,) = await store.claim_due_calls("a", now=NOW, lease=lease, limit=5, ringing_since=ago(70))
    assert leases.TAKEOVERS["calls"] == before  # a row nobody held: no takeover
    later = NOW + timedelta(seconds=31)
    again = await store.claim_due_calls("b", now=later, lease=lease, limit=5, ringing_since=ago(70))
    assert [r.id for r in again] == [mine.id]
    assert leases.TAKEOVERS["calls"] == before + 1  # replica a's lapsed lease
    await store.reschedule_call(mine.id, "b", next_check_at=later)
    await store.claim_due_calls("b", now=later, lease=lease, limit=5, ringing_since=ago(70))
    assert leases.TAKEOVERS["calls"] == before + 1  # its own, again: not a takeover
