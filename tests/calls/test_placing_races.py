"""Hostile probes (issue 18): a call being placed under its placing lease, against a placer
that is slow (not dead),
a store that fails, and a watcher that resumes too early or too late."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.calls.record_keeper import RecordKeeper
from bot.core.errors import StoreUnavailable
from bot.core.messages import OutgoingMessage, Receipt
from bot.core.records import CallStatus, Claimed, PlaceResult
from kavenegar import Participant

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .presses import posts

DEAD = "replica-dead"


def tokens_to(world: World, person: int) -> list[OutgoingMessage]:
    return [m for m in world.messenger.to(person) if m.carries_secret]


async def test_slow_token_delivery_is_not_resumed_a_second_time(direct: World) -> None:
    """The placer is alive, but Telegram holds Alice's token message (flood waits: up to 60 s
    per message are honoured by bot/telegram/delivery.py). Meanwhile the placing lease
    (client deadline + 5 s, renewed once by note_placed) lapses and a second replica's
    watcher 'resumes' the call: every token and the group notice go out twice."""
    other = direct.replica("replica-b")
    real_send = direct.messenger.send
    stalled = {"done": False}

    async def slow_send(chat_id: int, message: OutgoingMessage) -> Receipt:
        if chat_id == ALICE and message.carries_secret and not stalled["done"]:
            stalled["done"] = True
            for _ in range(100):  # note_placed (beside the sends) has run
                (row,) = await direct.store.list_calls()
                if row.kavenegar_call_id is not None:
                    break
                await asyncio.sleep(0.01)
            direct.clock.advance(direct.services.calls.placing.total_seconds() + 1)
            await other.watcher.tick()  # the other replica, while this send waits
        return await real_send(chat_id, message)

    direct.messenger.send = slow_send  # type: ignore[method-assign]
    report = await direct.call("@bob_k")
    assert report.outcome is PlaceResult.PLACED
    assert len(posts(direct)) == 1
    assert len(tokens_to(direct, BOB)) == 1, "Bob got his token twice"
    assert len(tokens_to(direct, ALICE)) == 1, "Alice got her token twice"
    notices = [t for t in direct.answers(GROUP) if "is calling" in t]
    assert len(notices) == 1, f"the group got {len(notices)} notices for one /call"


async def test_a_record_deferred_past_the_lease_is_not_reported_lost(direct: World) -> None:
    """README: 'if the database is locked or down at that moment, the tokens still go out and
    the record is retried in the background'. The database is down during the delivery (so
    note_placed and finish fail), back after the placing lease; the watcher then finds a
    PENDING row with no call id, closes it 'may or may not exist' and tells the group, though
    the call exists and both people hold their tokens. When the deferred record lands, the
    row says CREATED with outcome UNKNOWN: the real call is never followed."""
    store = direct.store
    down = {"on": False}
    gate = asyncio.Event()

    async def held_sleep(_: float) -> None:
        await gate.wait()

    direct.services.calls.records = RecordKeeper(store, delays=(1.0,), sleep=held_sleep)
    real_note, real_finish = store.note_placed, store.finish_call

    async def note_placed(*a: Any, **k: Any) -> bool:
        if down["on"]:
            raise StoreUnavailable("down")
        return await real_note(*a, **k)

    async def finish_call(*a: Any, **k: Any) -> None:
        if down["on"]:
            raise StoreUnavailable("down")
        await real_finish(*a, **k)

    real_create = direct.services.kavenegar.calls.create

    async def create(**k: Any) -> Any:
        call = await real_create(**k)
        down["on"] = True  # the database goes away right after the POST answered
        return call

    store.note_placed = note_placed  # type: ignore[method-assign]
    store.finish_call = finish_call  # type: ignore[method-assign]
    direct.services.kavenegar.calls.create = create  # type: ignore[method-assign]
    report = await direct.call("@bob_k")
    assert report.outcome is PlaceResult.PLACED and report.call_row_id is not None
    assert len(tokens_to(direct, BOB)) == 1
    # 35 s later the database is back; the background retry has not come round yet
    down["on"] = False
    direct.clock.advance(direct.services.calls.placing.total_seconds() + 1)
    await direct.watcher.tick()  # (the group may be told it may or may not exist meanwhile)
    gate.set()
    await asyncio.sleep(0.2)  # the deferred record is written
    row = await store.get_call(report.call_row_id)
    assert row is not None
    assert row.outcome is None, (row.status, row.outcome)


async def test_a_stalled_placer_does_not_overwrite_a_watcher_close(direct: World) -> None:
    """Stall (or clock jump) mid-POST past the placing lease: the watcher closes the row as
    'may or may not exist' (announced). The POST then returns a call: tokens go out and
    finish_call (unconditional) turns the closed row back into CREATED + outcome UNKNOWN."""
    other = direct.replica("replica-b")
    real_create = direct.services.kavenegar.calls.create

    async def create(**k: Any) -> Any:
        direct.clock.advance(direct.services.calls.placing.total_seconds() + 1)
        await other.watcher.tick()
        return await real_create(**k)

    direct.services.kavenegar.calls.create = create  # type: ignore[method-assign]
    report = await direct.call("@bob_k")
    told_lost = any("may or may not exist" in t for t in direct.answers(GROUP))
    delivered = bool(tokens_to(direct, BOB))
    for _ in range(3):  # what follows: the row is due again (finish set next_check_at)
        direct.clock.advance(2)
        await direct.watcher.tick()
    row = await direct.store.get_call(report.call_row_id or 0)
    assert row is not None
    bob_now = direct.messenger.now_reads(BOB, row.callee_message_id or 0)
    # told it may exist, then delivered after all: the call is open again and followed (never
    # CREATED with the outcome UNKNOWN, its live token withdrawn, never polled again)
    assert told_lost and delivered
    assert (row.status, row.outcome) == (CallStatus.CREATED, None), bob_now
    assert row.next_check_at is not None


async def test_a_call_resumed_after_its_joining_minute_still_answers_the_chat(
    direct: World,
) -> None:
    """Direct /call; the placer died after the POST answered and its id was noted, before the
    tokens and the notice. Every replica was down for over a minute. The resumed call is
    followed, but the chat where /call was typed is never told anything, ever."""
    calls = direct.services.calls
    claim = await direct.store.claim_call(
        chat_id=GROUP,
        message_id=41,
        caller_id=ALICE,
        callee_id=BOB,
        max_duration=60,
        now=direct.clock.now(),
        owner=DEAD,
        placing=calls.placing,
    )
    assert isinstance(claim, Claimed)
    alice, bob = await direct.store.get_user(ALICE), await direct.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await direct.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=60,
    )
    until = direct.clock.now() + calls.placing
    assert await direct.store.note_placed(claim.row_id, call.id, owner=DEAD, until=until)
    direct.clock.advance(61)
    for _ in range(80):
        await direct.watcher.tick()
        direct.clock.advance(5)
    ended = await direct.store.get_call(claim.row_id)
    assert ended is not None and ended.outcome is not None
    assert direct.answers(GROUP), "the /call was never answered in its chat"


async def test_resume_is_not_held_up_by_a_poll_pause(direct: World) -> None:
    """The placer died after the POST answered (id noted). A 429 on another call's poll
    paused polling for 60 s. Resuming (reading the tokens back) is filed under 'polls', so the
    tokens wait out the pause and miss the joining minute."""
    calls = direct.services.calls
    # another call, whose poll gets a 429 asking for 60 s
    first = await direct.call("@bob_k")
    assert first.outcome is PlaceResult.PLACED
    direct.kv.add_fault(
        method="GET", path="/calls", status=429, headers={"Retry-After": "60"}, times=1
    )
    direct.clock.advance(2)
    await direct.watcher.tick()
    assert direct.watcher.batch(direct.clock.now()) == 0  # polls paused
    claim = await direct.store.claim_call(
        chat_id=GROUP,
        message_id=77,
        caller_id=ALICE,
        callee_id=BOB,
        max_duration=60,
        now=direct.clock.now(),
        owner=DEAD,
        placing=calls.placing,
    )
    assert isinstance(claim, Claimed)
    alice, bob = await direct.store.get_user(ALICE), await direct.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await direct.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=60,
    )
    until = direct.clock.now() + calls.placing
    assert await direct.store.note_placed(claim.row_id, call.id, owner=DEAD, until=until)
    before = len(tokens_to(direct, BOB))
    for _ in range(55):
        direct.clock.advance(1)
        await direct.watcher.tick()
    assert len(tokens_to(direct, BOB)) == before + 1, "tokens not re-delivered within 60 s"


async def test_a_ring_answered_late_whose_placer_died_still_gets_its_tokens(
    ringing: World,
) -> None:
    """Bob answers 40 s into a 60 s ring; the replica that took the ring dies after the POST
    answered (id noted). Resuming measures the joining minute from the row's created_at (the
    ring's start, not the call's creation): at 40 + lease > 60 s it declares the call too old
    to join, though Kavenegar created it ~31 s ago; nobody ever gets a token."""
    report = await ringing.call("@bob_k")
    assert report.outcome is PlaceResult.RINGING and report.call_row_id is not None
    calls = ringing.services.calls
    ringing.clock.advance(40)
    assert await ringing.store.take_ring(
        report.call_row_id, now=ringing.clock.now(), owner=DEAD, placing=calls.placing
    )
    alice, bob = await ringing.store.get_user(ALICE), await ringing.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await ringing.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=60,
    )
    # the lease as a production replica holds it: the client's 25 s deadline + 5 s
    until = ringing.clock.now() + timedelta(seconds=30)
    assert await ringing.store.note_placed(report.call_row_id, call.id, owner=DEAD, until=until)
    ringing.clock.advance(31)
    await ringing.watcher.tick()
    assert len(tokens_to(ringing, BOB)) == 1, "a joinable call's tokens were never delivered"


async def test_a_ring_is_claimed_ringing_with_its_deadline_at_once(ringing: World) -> None:
    """No second write before the ring goes out: a replica that dies (or a database that
    blips) after the claim leaves a ring that times out, never a pending row due to nobody."""
    report = await ringing.call("@bob_k")
    assert report.call_row_id is not None
    row = await ringing.store.get_call(report.call_row_id)
    assert row is not None and row.status is CallStatus.RINGING
    assert row.next_check_at == ringing.clock.now() + timedelta(
        seconds=ringing.services.settings.ring_timeout
    )


async def test_a_resumed_delivery_that_waits_on_flood_limits_is_not_resumed_twice(
    direct: World,
) -> None:
    """A dead placer left a PENDING row with its call id. Replica A's watcher resumes it; its
    token messages wait on Telegram's flood limit longer than the watcher's 30 s lease
    (CallWatcher does not renew). Replica B's watcher then resumes the same row."""
    alice, bob = await direct.store.get_user(ALICE), await direct.store.get_user(BOB)
    assert alice is not None and bob is not None
    calls = direct.services.calls
    claim = await direct.store.claim_call(
        chat_id=ALICE,
        message_id=777,
        caller_id=ALICE,
        callee_id=BOB,
        max_duration=600,
        now=direct.clock.now(),
        owner=DEAD,
        placing=calls.placing,
    )
    assert isinstance(claim, Claimed)
    call = await direct.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=600,
    )
    until = direct.clock.now() + calls.placing
    assert await direct.store.note_placed(claim.row_id, call.id, owner=DEAD, until=until)
    direct.clock.advance(calls.placing.total_seconds() + 1)
    other = direct.replica("replica-b")
    real_send = direct.messenger.send
    stalled = {"done": False}

    async def slow_send(chat_id: int, message: OutgoingMessage) -> Receipt:
        if chat_id == ALICE and message.carries_secret and not stalled["done"]:
            stalled["done"] = True
            for _ in range(100):  # note_placed (beside the sends) has run
                await asyncio.sleep(0.01)
            # a flood wait past every lease: the watcher's (30 s) and note_placed's (placing)
            direct.clock.advance(31)  # > the watcher lease (30 s) and production placing (25+5 s)
            await other.watcher.tick()
        return await real_send(chat_id, message)

    direct.messenger.send = slow_send  # type: ignore[method-assign]
    await direct.watcher.tick()
    assert len(tokens_to(direct, BOB)) == 1, "Bob got his token twice"
    assert len(tokens_to(direct, ALICE)) == 1, "Alice got her token twice"
