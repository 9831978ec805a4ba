"""Issue 9 on the fast layer: every created call is followed to its end, once, under a budget.

The bot's clock and the sandbox's are one :class:`ManualClock`: tests move time, never sleep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.calls.watcher import GRACE, MAX_RETRY_AFTER, next_poll_delay
from bot.core.buttons import UNKNOWN, decode
from bot.core.clock import ManualClock
from bot.core.people import UserProfile
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.storage import StoreUnavailable
from kavenegar import KavenegarClient, RetryPolicy
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import ALICE, BOB, GROUP, KV_TOKEN

START = datetime(2026, 11, 30, 9, 0, 0)


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock and the sandbox's (``kv``), from a Monday morning."""
    return ManualClock(START)


class Follow(World):
    """A world on one clock for the bot and Kavenegar, which the test moves."""

    async def until_closed(
        self, row_id: int, *, step: float = 1.0, limit: float = 900
    ) -> CallRecord:
        """Move time a step at a time, running the watcher, until the call is closed."""
        moved = 0.0
        while True:
            await self.watcher.tick()
            record = await self.store.get_call(row_id)
            assert record is not None
            if record.outcome is not None:
                return record
            assert moved < limit, f"call {row_id} never closed"
            self.clock.advance(step)
            moved += step

    def sandbox_call(self) -> Any:
        (call,) = self.kv.state.calls.values()
        return call

    async def pressed(self, who: int, data: str) -> Any:
        """A press as the handlers make it: data that decodes to nothing is unknown."""
        record = await self.store.get_user(who)
        profile = record.profile if record else UserProfile(who, f"User {who}")
        press = decode(data)
        return UNKNOWN if press is None else await self.presses.press(profile, press)


async def make_follow(
    db_url: str,
    kv: KavenegarSandbox,
    clock: ManualClock,
    *,
    rps: float = 50.0,
    flow: str = "direct",
    owner: str = "replica-a",
    **settings: Any,
) -> AsyncIterator[Follow]:
    """The services on ``clock``, polling ``rps`` times a second at most (one try a poll),
    placing calls by ``flow``; ``settings`` named as in :class:`~bot.config.Settings`."""
    client = KavenegarClient(
        api_token=KV_TOKEN,
        base_url=kv.base_url,
        timeout=0.5,
        total_timeout=1.0,
        max_retries=0,
        retry_policy=RetryPolicy(initial_delay=0, max_delay=0),
    )
    async with client:
        async for world in make_world(
            db_url,
            kv,
            clock=clock,
            client=client,
            owner=owner,
            kavenegar_poll_rps=rps,
            call_flow=flow,
            **settings,
        ):
            yield Follow(services=world.services, messenger=world.messenger, kv=world.kv)


@pytest.fixture
async def follow(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[Follow]:
    async for made in make_follow(sqlite_url, kv, clock):
        await made.pair()
        yield made


async def placed(world: Follow, text: str = "@bob_k", **kwargs: Any) -> int:
    report = await world.call(text, **kwargs)
    assert report.outcome == "placed", report
    assert report.call_row_id is not None
    return report.call_row_id


def test_the_poll_cadence() -> None:
    """Every 2 s in the ringing window, then backing off to at most every 30 s."""
    assert next_poll_delay(timedelta(seconds=1)) == 2.0
    assert next_poll_delay(timedelta(seconds=69)) == 2.0
    assert next_poll_delay(timedelta(seconds=71)) == 5.0
    assert next_poll_delay(timedelta(seconds=140)) == 10.0
    assert next_poll_delay(timedelta(hours=2)) == 30.0


async def test_an_answered_call_shows_its_talk_time_and_withdraws_the_tokens(
    follow: Follow,
) -> None:
    row_id = await placed(follow)
    record = await follow.store.get_call(row_id)
    assert record is not None and record.notice_message_id is not None
    token = follow.sandbox_call().receptor.access_token
    assert token in follow.messenger.now_reads(BOB, record.callee_message_id or 0)
    follow.clock.advance(5)
    follow.kv.state.join(follow.sandbox_call().id, "caller")
    follow.kv.state.join(follow.sandbox_call().id, "receptor")
    follow.clock.advance(192)
    follow.kv.state.hangup(follow.sandbox_call().id)
    closed = await follow.until_closed(row_id)
    assert (closed.outcome, closed.duration_ms) == (CallOutcome.ANSWERED, 192_000)
    notice = follow.messenger.now_reads(GROUP, record.notice_message_id)
    assert notice == "✅ Alice called Bob: talked for 3:12."
    for person, message_id in ((ALICE, closed.caller_message_id), (BOB, closed.callee_message_id)):
        text = follow.messenger.now_reads(person, message_id or 0)
        assert "talked for 3:12" in text and "removed the access token" in text
        assert token not in text and follow.sandbox_call().caller.access_token not in text
    # no "Call again" after a call that was answered
    assert not follow.messenger.current[(ALICE, closed.caller_message_id or 0)].buttons


@pytest.mark.parametrize(
    ("ending", "expected", "again"),
    [
        ("window", "📵 Alice called Bob: missed.", True),
        ("rejected", "🚫 Alice called Bob: declined.", True),
        ("caller_only", "⚠️ Alice called Bob: unreachable.", True),
        ("media_connection_broken", "☎️ Alice called Bob: ended (media_connection_broken).", False),
    ],
)
async def test_each_way_a_call_ends_is_told(
    follow: Follow, ending: str, expected: str, again: bool
) -> None:
    row_id = await placed(follow)
    call_id = follow.sandbox_call().id
    if ending == "caller_only":
        follow.kv.state.join(call_id, "caller")
    elif ending != "window":
        follow.kv.state.finish(call_id, ending)
    closed = await follow.until_closed(row_id, step=5)
    assert follow.messenger.now_reads(GROUP, closed.notice_message_id or 0) == expected
    buttons = follow.messenger.current[(ALICE, closed.caller_message_id or 0)].buttons
    assert [b.data for b in buttons] == ([f"again:{row_id}"] if again else [])


async def test_a_call_kavenegar_forgot_is_unknown_and_one_that_never_ends_expires(
    follow: Follow,
) -> None:
    gone = await placed(follow)
    follow.kv.state.calls.clear()  # 404 from now on
    closed = await follow.until_closed(gone)
    assert closed.outcome is CallOutcome.UNKNOWN
    assert "Kavenegar no longer knows this call" in follow.messenger.now_reads(
        GROUP, closed.notice_message_id or 0
    )
    endless = await placed(follow, "@bob_k 1m")
    call_id = follow.sandbox_call().id
    follow.kv.state.join(call_id, "caller")
    follow.kv.state.join(call_id, "receptor")
    follow.kv.state.app_max_duration = 10**6  # Kavenegar never ends it
    follow.kv.state.calls[call_id].max_duration = None
    closed = await follow.until_closed(endless, step=30, limit=3600)
    assert closed.outcome is CallOutcome.EXPIRED
    assert closed.polls > 10


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"status": 502, "body": ""}, {"kind": "garbage"}, {"kind": "hang"}],
)
async def test_a_failed_poll_is_never_an_end(follow: Follow, fault: dict[str, Any]) -> None:
    row_id = await placed(follow)
    follow.kv.add_fault(method="GET", path="/calls", times=3, **fault)
    for _ in range(3):
        await follow.watcher.tick()
        follow.clock.advance(2)
    record = await follow.store.get_call(row_id)
    assert record is not None and record.outcome is None and record.next_check_at is not None
    follow.kv.state.hangup(follow.sandbox_call().id)
    closed = await follow.until_closed(row_id)
    assert closed.outcome is CallOutcome.MISSED  # hung up before anyone joined


async def test_a_429_pauses_polling_for_as_long_as_asked(follow: Follow) -> None:
    await placed(follow)
    follow.kv.add_fault(method="GET", status=429, headers={"Retry-After": "20"}, times=1)
    follow.clock.advance(2)
    await follow.watcher.tick()
    polls = follow.watcher.polls
    for _ in range(9):
        follow.clock.advance(2)
        await follow.watcher.tick()
    assert follow.watcher.polls == polls  # 18 s: still paused
    follow.clock.advance(3)
    await follow.watcher.tick()
    assert follow.watcher.polls == polls + 1


def throttled(world: Follow, seconds: int = 600, times: int | None = None) -> None:
    """Every poll (``GET /calls/{id}``) answered 429 with ``Retry-After: seconds``."""
    world.kv.add_fault(
        method="GET",
        path="/calls/",
        status=429,
        headers={"Retry-After": str(seconds)},
        body={"status": "too_many_requests"},
        times=times,
    )


def gets(world: Follow) -> int:
    return sum(1 for r in world.kv.requests if r["method"] == "GET")


async def test_a_poll_retry_after_is_capped(follow: Follow) -> None:
    """Defect 4: a 429 asking for ten minutes pauses the polls for MAX_RETRY_AFTER (60 s)."""
    row_id = await placed(follow)
    throttled(follow, 600, times=1)
    follow.clock.advance(2)
    await follow.watcher.tick()
    polls = follow.watcher.polls
    assert gets(follow) == 1
    for _ in range(int(MAX_RETRY_AFTER) // 2 - 1):  # 58 s: still paused
        follow.clock.advance(2)
        await follow.watcher.tick()
    assert follow.watcher.polls == polls
    follow.clock.advance(3)  # 61 s after the 429: polling again, long before ten minutes
    await follow.watcher.tick()
    assert follow.watcher.polls == polls + 1 and gets(follow) == 2
    follow.kv.state.hangup(follow.sandbox_call().id)
    closed = await follow.until_closed(row_id)
    assert closed.outcome is CallOutcome.MISSED


async def test_a_throttled_poll_does_not_hold_up_a_ring_time_out(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Defect 4, CALL_FLOW=ring end to end: while polls are paused by a 429 (and whatever the
    budget), a ring whose time is up is still ended as missed, on time."""
    async for world in make_follow(sqlite_url, kv, clock, rps=1.0, flow="ring"):
        await world.pair()
        answered = await ring(world)
        assert (await world.pressed(BOB, f"ring:a:{answered.id}")).key == "callback_calling"
        throttled(world)  # every poll from now on: "come back in ten minutes"
        world.clock.advance(2)
        await world.watcher.tick()
        assert gets(world) == 1  # the answered ring's call was polled: polls are paused now
        unanswered = await ring(world)
        world.clock.advance(59)
        await world.watcher.tick()
        assert (await world.store.get_call(unanswered.id)).status is CallStatus.RINGING  # type: ignore[union-attr]
        world.clock.advance(2)  # the ring's 60 s are up; the polls' pause is not
        await world.watcher.tick()
        closed = await world.store.get_call(unanswered.id)
        assert closed is not None and (closed.status, closed.outcome) == (
            CallStatus.RANG,
            CallOutcome.MISSED,
        )
        assert world.messenger.now_reads(GROUP, unanswered.notice_message_id or 0) == (
            "📵 Alice rang Bob: missed."
        )
        assert not world.messenger.current[(BOB, unanswered.callee_message_id or 0)].buttons
        assert (await world.pressed(BOB, f"ring:a:{unanswered.id}")).alert
        assert len(world.kv.state.calls) == 1  # the late press placed nothing


async def test_a_throttled_poll_does_not_hold_up_an_announcement_or_an_expiry(
    follow: Follow,
) -> None:
    """Defect 4: while Kavenegar keeps answering polls 429, an outcome whose announcement
    failed is still announced, and a call past its age limit is still closed."""
    told = await placed(follow)
    notice = (await follow.store.get_call(told)).notice_message_id  # type: ignore[union-attr]
    follow.kv.state.hangup(follow.sandbox_call().id)
    announce = follow.watcher.announcer.announce

    async def broken(record: CallRecord) -> None:
        raise StoreUnavailable("the database went away")

    follow.watcher.announcer.announce = broken  # type: ignore[method-assign]
    assert (await follow.until_closed(told)).outcome is CallOutcome.MISSED
    follow.watcher.announcer.announce = announce  # type: ignore[method-assign]
    endless = await placed(follow, "@bob_k 1m")
    throttled(follow)
    follow.clock.advance(2)
    await follow.watcher.tick()  # the 429: polls paused
    for _ in range(60):  # five minutes
        follow.clock.advance(5)
        await follow.watcher.tick()
    assert follow.messenger.now_reads(GROUP, notice or 0) == "📵 Alice called Bob: missed."
    for _ in range(13):  # past 1 minute + GRACE
        follow.clock.advance(5)
        await follow.watcher.tick()
    closed = await follow.store.get_call(endless)
    assert closed is not None and closed.outcome is CallOutcome.EXPIRED


async def test_a_call_past_its_age_limit_is_closed_without_a_poll(follow: Follow) -> None:
    """Defect 5: the age limit is checked before polling; no poll is spent on such a call."""
    row_id = await placed(follow, "@bob_k 1m")
    follow.clock.advance(60 + GRACE.total_seconds() + 1)  # no watcher ran meanwhile
    polls = follow.watcher.polls
    assert await follow.watcher.tick() == 1
    closed = await follow.store.get_call(row_id)
    assert closed is not None and closed.outcome is CallOutcome.EXPIRED
    assert follow.watcher.polls == polls and gets(follow) == 0
    assert "never reported an end" in follow.messenger.now_reads(
        GROUP, closed.notice_message_id or 0
    )


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 401, "body": {"status": "unauthorized", "reasons": ["bad token"]}},
        {"status": 403, "body": {"status": "forbidden"}},
        {"status": 503},
        {"kind": "hang"},
    ],
    ids=["401", "403", "503", "hang"],
)
async def test_a_call_whose_polls_keep_failing_ends_by_age(
    follow: Follow, fault: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Defect 5: with every poll failing, the call still ends, as expired, at its age limit
    (``maxDuration`` + GRACE), and nothing logged holds the API token."""
    caplog.set_level(logging.INFO)
    row_id = await placed(follow, "@bob_k 1m")
    follow.kv.add_fault(method="GET", path="/calls/", times=None, **fault)
    closed = await follow.until_closed(row_id, step=30, limit=900)
    assert closed.outcome is CallOutcome.EXPIRED
    assert closed.created_at is not None
    lived = (follow.clock.now() - closed.created_at).total_seconds()  # closed at the last tick
    assert 60 + GRACE.total_seconds() < lived <= 60 + GRACE.total_seconds() + 30
    assert gets(follow) > 0  # it was polled meanwhile, and every poll failed
    assert "never reported an end" in follow.messenger.now_reads(
        GROUP, closed.notice_message_id or 0
    )
    assert KV_TOKEN not in caplog.text


async def test_the_budget_puts_ringing_calls_first(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """With a budget of 1 poll/s and 6 calls due, the young ones are polled first."""
    async for world in make_follow(sqlite_url, kv, clock, rps=1.0):
        await world.pair()
        old = [await placed(world) for _ in range(3)]
        world.clock.advance(120)  # these are past their ringing window now
        young = [await placed(world) for _ in range(3)]
        world.clock.advance(3)
        polled: list[int] = []
        for _ in range(3):
            world.clock.advance(1)
            before = {r.id: r.polls for r in await world.store.list_calls()}
            assert await world.watcher.tick() == 1
            after = {r.id: r.polls for r in await world.store.list_calls()}
            polled += [i for i in after if after[i] != before[i]]
        assert sorted(polled) == young
        assert not set(polled) & set(old)


async def test_two_replicas_announce_each_outcome_once(
    db_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Two watchers on one database (two replicas): each call is polled under one lease and
    its end is announced exactly once."""
    async for world in make_follow(db_url, kv, clock, owner="a"):
        await world.pair()
        rows = [await placed(world) for _ in range(4)]
        other = world.replica("b").watcher
        world.clock.advance(61)  # every call ran out of its minute: missed
        await asyncio.gather(world.watcher.tick(), other.tick(), world.watcher.tick())
        for row_id in rows:
            record = await world.store.get_call(row_id)
            assert record is not None and record.outcome is CallOutcome.MISSED
        edits = [e for e in world.messenger.edits if e[0] == GROUP]
        assert sorted(e[1] for e in edits) == sorted(
            r.notice_message_id or 0 for r in await world.store.list_calls()
        )


async def test_a_new_watcher_resumes_after_a_crash(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """The calls being followed are rows: a watcher that dies holding leases loses nothing;
    another takes over when the leases run out."""
    async for world in make_follow(sqlite_url, kv, clock):
        await world.pair()
        row_id = await placed(world)
        world.clock.advance(2)
        await world.store.claim_due_calls(
            "dead-replica",
            now=world.clock.now(),
            lease=timedelta(seconds=30),
            limit=10,
            ringing_since=world.clock.now(),
        )
        world.kv.state.hangup(world.sandbox_call().id)
        assert await world.watcher.tick() == 0  # leased by the dead one
        world.clock.advance(31)
        closed = await world.until_closed(row_id)
        assert closed.outcome is CallOutcome.MISSED


async def test_call_again_places_one_new_call(follow: Follow) -> None:
    row_id = await placed(follow)
    closed = await follow.until_closed(row_id, step=10)
    assert closed.outcome is CallOutcome.MISSED
    data = f"again:{row_id}"
    answers = await asyncio.gather(*(follow.pressed(ALICE, data) for _ in range(3)))
    assert sorted(a.key for a in answers) == [
        "callback_already",
        "callback_already",
        "callback_calling",
    ]
    assert len(follow.kv.state.calls) == 2  # the first and exactly one more
    assert "You are calling Bob" in follow.messenger.texts(ALICE)[-1]
    again = (await follow.store.list_calls())[-1]
    assert (again.chat_id, again.message_id, again.max_duration) == (ALICE, -row_id, 600)


@pytest.mark.parametrize(
    ("who", "data"),
    [
        (BOB, "again:1"),  # not the caller
        (ALICE, "again:999"),  # no such call
        (ALICE, "again:x"),  # not data the bot issues
        (ALICE, "ring:a:1"),  # a ring's button for someone else
        (ALICE, "somebody else's data"),
    ],
)
async def test_a_press_that_is_not_yours_or_not_ours_does_nothing(
    follow: Follow, who: int, data: str
) -> None:
    row_id = await placed(follow)
    await follow.until_closed(row_id, step=10)
    answer = await follow.pressed(who, data)
    assert answer.alert
    assert len(follow.kv.state.calls) == 1


async def test_call_again_after_forget_does_nothing(follow: Follow) -> None:
    row_id = await placed(follow)
    await follow.until_closed(row_id, step=10)
    await follow.store.forget_user(ALICE)
    press = decode(f"again:{row_id}")
    assert press is not None
    answer = await follow.presses.press(UserProfile(ALICE, "Alice"), press)
    assert answer.alert and len(follow.kv.state.calls) == 1


async def test_call_again_only_after_nobody_talked(follow: Follow) -> None:
    row_id = await placed(follow)
    call_id = follow.sandbox_call().id
    follow.kv.state.join(call_id, "caller")
    follow.kv.state.join(call_id, "receptor")
    follow.clock.advance(30)
    follow.kv.state.hangup(call_id)
    await follow.until_closed(row_id)
    assert (await follow.pressed(ALICE, f"again:{row_id}")).alert


@pytest.fixture
async def ringing(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[Follow]:
    async for made in make_follow(sqlite_url, kv, clock, flow="ring", calls_per_minute=1):
        await made.pair()
        yield made


async def ring(world: Follow) -> CallRecord:
    report = await world.call("@bob_k")
    assert report.outcome == "ringing" and report.call_row_id is not None
    record = await world.store.get_call(report.call_row_id)
    assert record is not None
    return record


async def test_a_ring_costs_nothing_until_answered(ringing: Follow) -> None:
    record = await ring(ringing)
    assert ringing.kv.requests == []
    assert ringing.answers() == ["📞 Alice is ringing Bob…"]
    ask = ringing.messenger.current[(BOB, record.callee_message_id or 0)]
    assert [b.data for b in ask.buttons] == [f"ring:a:{record.id}", f"ring:d:{record.id}"]
    assert (await ringing.pressed(ALICE, f"ring:a:{record.id}")).alert  # not the callee's
    answer = await ringing.pressed(BOB, f"ring:a:{record.id}")
    assert answer.key == "callback_calling"
    assert len(ringing.kv.state.calls) == 1
    assert "You are calling Bob" in ringing.messenger.texts(ALICE)[-1]
    assert "Alice is calling you" in ringing.messenger.texts(BOB)[-1]
    assert ringing.messenger.now_reads(GROUP, record.notice_message_id or 0).startswith(
        "📞 Alice is calling Bob"
    )
    assert (await ringing.pressed(BOB, f"ring:a:{record.id}")).key == "callback_ring_over"
    assert len(ringing.kv.state.calls) == 1  # a second press is no second call
    closed = await ringing.until_closed(record.id, step=10)
    assert closed.outcome is CallOutcome.MISSED  # then followed like any call


async def test_an_answer_after_the_callee_stopped_taking_calls_places_nothing(
    ringing: Follow,
) -> None:
    """Answer goes through the one money path: /call's rules at the moment of the press."""
    record = await ring(ringing)
    await ringing.store.set_uncallable(BOB, True, changed_by=None)
    answer = await ringing.pressed(BOB, f"ring:a:{record.id}")
    assert answer.alert and answer.key == "call_not_taking_calls"
    assert ringing.kv.requests == []  # nothing paid
    bob = ringing.messenger.current[(BOB, record.callee_message_id or 0)]
    assert not bob.buttons  # the ring can never be taken now
    closed = await ringing.store.get_call(record.id)
    assert closed is not None and closed.status is CallStatus.RANG
    assert (await ringing.pressed(BOB, f"ring:a:{record.id}")).key == "callback_ring_over"
    assert ringing.kv.requests == []


async def test_a_declined_ring_places_nothing(ringing: Follow) -> None:
    record = await ring(ringing)
    await ringing.pressed(BOB, f"ring:d:{record.id}")
    assert ringing.kv.requests == []
    assert ringing.messenger.now_reads(GROUP, record.notice_message_id or 0) == (
        "🚫 Alice rang Bob: declined."
    )
    bob = ringing.messenger.current[(BOB, record.callee_message_id or 0)]
    assert not bob.buttons
    assert (await ringing.pressed(BOB, f"ring:a:{record.id}")).key == "callback_ring_over"


async def test_item11_decline_answers_declined_not_already_done(ringing: Follow) -> None:
    """Issue 19 item 11: Decline's own answer, in both languages."""
    record = await ring(ringing)
    answer = await ringing.pressed(BOB, f"ring:d:{record.id}")
    assert (answer.text("en"), answer.text("fa"), answer.alert) == ("Declined.", "رد شد.", False)


async def test_an_unanswered_ring_is_missed_and_a_late_press_does_nothing(
    ringing: Follow,
) -> None:
    record = await ring(ringing)
    ringing.clock.advance(59)
    await ringing.watcher.tick()
    assert (await ringing.store.get_call(record.id)).status is CallStatus.RINGING  # type: ignore[union-attr]
    ringing.clock.advance(2)
    await ringing.watcher.tick()
    closed = await ringing.store.get_call(record.id)
    assert closed is not None and (closed.status, closed.outcome) == (
        CallStatus.RANG,
        CallOutcome.MISSED,
    )
    assert ringing.messenger.now_reads(GROUP, record.notice_message_id or 0) == (
        "📵 Alice rang Bob: missed."
    )
    assert not ringing.messenger.current[(BOB, record.callee_message_id or 0)].buttons
    assert (await ringing.pressed(BOB, f"ring:a:{record.id}")).alert
    assert ringing.kv.requests == []


async def test_a_ring_counts_against_the_quota(ringing: Follow) -> None:
    await ring(ringing)
    report = await ringing.call("@bob_k")
    assert report.outcome == "refused" and report.reason == "quota_minute"


async def test_an_outcome_whose_announcement_failed_is_announced_later(follow: Follow) -> None:
    """Closing a call and telling people are two steps: if telling fails (the database goes
    away between them, or the replica dies), the outcome is announced five minutes later."""
    row_id = await placed(follow)
    record = await follow.store.get_call(row_id)
    assert record is not None and record.notice_message_id is not None
    follow.kv.state.hangup(follow.sandbox_call().id)
    announce = follow.watcher.announcer.announce

    async def broken(record: CallRecord) -> None:
        raise StoreUnavailable("the database went away")

    follow.watcher.announcer.announce = broken  # type: ignore[method-assign]
    closed = await follow.until_closed(row_id)
    assert closed.outcome is CallOutcome.MISSED
    assert "Alice is calling Bob" in follow.messenger.now_reads(GROUP, record.notice_message_id)
    follow.watcher.announcer.announce = announce  # type: ignore[method-assign]
    follow.clock.advance(299)  # the first teller may still be at it: nobody else tells it yet
    await follow.watcher.tick()
    assert "Alice is calling Bob" in follow.messenger.now_reads(GROUP, record.notice_message_id)
    follow.clock.advance(2)
    assert await follow.watcher.tick() == 1
    assert follow.messenger.now_reads(GROUP, record.notice_message_id) == (
        "📵 Alice called Bob: missed."
    )
    follow.clock.advance(120)
    assert await follow.watcher.tick() == 0  # told once: nothing left to do
