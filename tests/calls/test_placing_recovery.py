"""Issue 18 items 13 and 4: a call being placed is a row another replica resumes under a lease,
and a ring past its deadline can never be taken.

A replica that dies between taking a ring (or claiming a /call) and finishing it leaves the row
``pending`` under its placing lease; once that lapses, any replica's watcher resumes it: with the
call's id kept (the POST answered), the tokens are read back and delivered while the call can be
joined; without it, everyone is told the call may or may not exist. Nothing is placed twice.
"""

from __future__ import annotations

from bot.calls.service import CallService
from bot.core.records import CallOutcome, CallRecord, CallStatus, Claimed, PlaceResult
from kavenegar import Participant

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .presses import posts, pressed, ring

DEAD = "replica-dead"


async def answered_on_a_replica_that_died(world: World, record: CallRecord) -> None:
    """What the dead replica did with Bob's Answer: it took the ring (the same conditional
    update the press makes, under its own name) and its POST went out; then it died."""
    calls: CallService = world.services.calls
    assert await world.store.take_ring(
        record.id, now=world.clock.now(), owner=DEAD, placing=calls.placing
    )


async def test_a_ring_whose_placer_died_before_the_post_answered_may_exist(
    ringing: World,
) -> None:
    """Item 13: no id was kept, so nobody holds the tokens: everyone is told it may exist."""
    record = await ring(ringing)
    await answered_on_a_replica_that_died(ringing, record)
    calls = ringing.services.calls
    ringing.clock.advance(calls.placing.total_seconds() - 1)
    assert await ringing.watcher.tick() == 0  # the dead replica's lease still holds it
    ringing.clock.advance(2)
    assert await ringing.watcher.tick() == 1
    closed = await ringing.store.get_call(record.id)
    assert closed is not None
    assert (closed.status, closed.outcome) == (CallStatus.UNKNOWN, CallOutcome.UNKNOWN)
    assert closed.next_check_at is None  # over: due to nobody, ever again
    notice = ringing.messenger.now_reads(GROUP, record.notice_message_id or 0)
    assert "may or may not exist" in notice and "ringing" not in notice
    bob = ringing.messenger.current[(BOB, record.callee_message_id or 0)]
    assert "may or may not exist" in bob.html and not bob.buttons
    assert posts(ringing) == []  # nothing placed again
    assert await ringing.watcher.tick() == 0


async def test_a_ring_whose_placer_died_while_delivering_gets_its_tokens(ringing: World) -> None:
    """Item 13: the POST answered and its id was kept; the tokens were lost with the replica.
    They are read back from Kavenegar and delivered, within the call's joining minute."""
    record = await ring(ringing)
    await answered_on_a_replica_that_died(ringing, record)
    alice, bob = await ringing.store.get_user(ALICE), await ringing.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await ringing.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=record.max_duration,
    )
    calls = ringing.services.calls
    until = ringing.clock.now() + calls.placing
    assert await ringing.store.note_placed(record.id, call.id, owner=DEAD, until=until)
    ringing.clock.advance(calls.placing.total_seconds() + 1)
    assert await ringing.watcher.tick() == 1
    for person in (ALICE, BOB):
        (token,) = [m for m in ringing.messenger.to(person) if m.carries_secret]
        assert call.id in token.html
    resumed = await ringing.store.get_call(record.id)
    assert resumed is not None and resumed.status is CallStatus.CREATED
    assert resumed.next_check_at is not None  # followed from here on
    assert ringing.messenger.now_reads(GROUP, record.notice_message_id or 0).startswith(
        "📞 Alice is calling Bob"
    )
    assert len(posts(ringing)) == 1  # the one the dead replica sent: none again


async def test_a_resumed_call_past_its_joining_minute_is_followed_not_delivered(
    ringing: World,
) -> None:
    record = await ring(ringing)
    await answered_on_a_replica_that_died(ringing, record)
    alice, bob = await ringing.store.get_user(ALICE), await ringing.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await ringing.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=record.max_duration,
    )
    until = ringing.clock.now()
    assert await ringing.store.note_placed(record.id, call.id, owner=DEAD, until=until)
    ringing.clock.advance(61)  # nobody resumed it within the minute (every replica was down)
    await ringing.watcher.tick()
    assert not [m for m in ringing.messenger.to(BOB) if m.carries_secret]  # useless by now
    resumed = await ringing.store.get_call(record.id)
    assert resumed is not None and resumed.status is CallStatus.CREATED
    for _ in range(40):  # then followed to its end like any call
        ringing.clock.advance(5)
        await ringing.watcher.tick()
    ended = await ringing.store.get_call(record.id)
    assert ended is not None and ended.outcome is CallOutcome.MISSED
    assert len(posts(ringing)) == 1


async def test_a_call_whose_placer_died_mid_post_is_told_not_lost(direct: World) -> None:
    """Item 13, any path: a /call claimed by a replica that died mid-POST is due to the others
    once its placing lease lapses (before: pending for good, nobody told)."""
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
    row_id = claim.row_id
    direct.clock.advance(calls.placing.total_seconds() + 1)
    assert await direct.watcher.tick() == 1
    (told,) = direct.messenger.to(GROUP)
    assert "may or may not exist" in told.html and told.reply_to_message_id == 41
    closed = await direct.store.get_call(row_id)
    assert closed is not None and closed.status is CallStatus.UNKNOWN


async def test_a_placing_that_finishes_gives_its_row_back_to_the_follow_up(direct: World) -> None:
    """The lease is the placer's only while it places: a finished /call is followed at once."""
    report = await direct.call("@bob_k")
    assert report.outcome is PlaceResult.PLACED and report.call_row_id is not None
    record = await direct.store.get_call(report.call_row_id)
    assert record is not None and record.next_check_at is not None
    direct.clock.advance(2)
    assert await direct.watcher.tick() == 1  # polled at once: no placing lease left on it
    assert len([r for r in direct.kv.requests if r["method"] == "GET"]) == 1
    direct.kv.add_fault(method="POST", path="/calls", status=422, times=1)
    report = await direct.call("@bob_k")
    assert report.outcome is PlaceResult.FAILED and report.call_row_id is not None
    refused = await direct.store.get_call(report.call_row_id)
    assert refused is not None and refused.next_check_at is None  # due to nobody


async def test_a_ring_past_its_deadline_can_never_be_taken(ringing: World) -> None:
    """Item 4: even when the watcher has not ended it yet (polls throttled, replicas busy)."""
    record = await ring(ringing)
    ringing.clock.advance(ringing.services.settings.ring_timeout + 1)
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert answer.key == "callback_ring_over"
    assert posts(ringing) == []
    await ringing.watcher.tick()  # then the watcher ends it as missed, once
    ended = await ringing.store.get_call(record.id)
    assert ended is not None and ended.outcome is CallOutcome.MISSED
