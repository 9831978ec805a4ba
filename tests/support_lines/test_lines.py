"""Support lines on a moved clock: offers one at a time, Accept once, the queue, out-of-hours
call-backs and ratings, on a real store and the sandbox (no Telegram: a recording messenger)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.buttons import PressAnswer, decode
from bot.core.clock import ManualClock
from bot.core.messages import OutgoingMessage
from bot.core.records import CallOutcome, LineStatus, Team
from bot.support_lines.service import LineService
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import ALICE, BOB, visible

CAROL, DAVE, ERIN, FRANK = 5101, 5102, 5103, 5104
OWNER = ALICE
GROUP_ID = -100777
# Monday 2026-11-30 10:00 in Tehran (UTC+3:30)
MONDAY_10_TEHRAN = datetime(2026, 11, 30, 6, 30)


@dataclass
class Line:
    world: World
    lines: LineService
    clock: ManualClock
    team: Team

    @property
    def messenger(self) -> Any:
        return self.world.messenger

    async def newcomer(self, telegram_id: int, name: str) -> None:
        await self.world.person(telegram_id, name)
        record = await self.world.store.get_user(telegram_id)
        assert record is not None
        assert await self.lines.arrive(record, f"line-{self.team.name}")

    async def request_of(self, telegram_id: int) -> Any:
        requests = await self.world.store.lines.finished_since(datetime(2000, 1, 1))
        return next(r for r in reversed(requests) if r.newcomer_id == telegram_id)

    def last(self, chat_id: int) -> OutgoingMessage:
        sent: list[OutgoingMessage] = self.messenger.to(chat_id)
        return sent[-1]

    def last_text(self, chat_id: int) -> str:
        texts: list[str] = self.messenger.texts(chat_id)
        return texts[-1]

    def offer_id(self, member: int) -> int:
        data = self.last(member).buttons[0].data
        assert data is not None and data.startswith("line:a:")
        return int(data.removeprefix("line:a:"))

    async def accept(self, member: int, offer_id: int | None = None) -> str:
        answer = await self.press(member, f"line:a:{offer_id or self.offer_id(member)}")
        return answer.key

    async def press(self, who: int, data: str | None) -> PressAnswer:
        """``who`` presses a line's button of ``data`` (as the bot issues it)."""
        press = decode(data)
        assert press is not None, data
        return await self.lines.press(who, press)

    def calls_posted(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["body"])
            for r in self.world.kv.requests
            if r["method"] == "POST" and r["path"].endswith("/calls")
        ]

    async def end_call(self, telegram_id: int, outcome: CallOutcome) -> None:
        request = await self.request_of(telegram_id)
        await self.world.store.close_call(request.call_id, outcome=outcome)
        if outcome is CallOutcome.ANSWERED:
            await self.world.store.mark_connected(request.call_id, self.clock.now())


async def make_line(
    db_url: str, kv: KavenegarSandbox, hours: str | None = None, **settings: Any
) -> AsyncIterator[Line]:
    """Team support (Alice, then Bob) and its line, open in ``hours``, on a clock the test moves;
    ``settings`` named as in :class:`~bot.config.Settings`."""
    clock = ManualClock(MONDAY_10_TEHRAN)
    async for world in make_world(db_url, kv, clock=clock, owner="replica-a", **settings):
        await world.pair()  # Alice and Bob, the two members (Alice first in the rotation)
        store = world.store
        team = await store.teams.create(
            "support", owner_id=OWNER, chat_id=GROUP_ID, zone="Asia/Tehran", now=clock.now()
        )
        assert team is not None
        await store.teams.add_members(team.id, [ALICE, BOB], clock.now())
        await store.lines.set_line(
            team.id, enabled=True, hours=hours, changed_by=OWNER, now=clock.now()
        )
        yield Line(world, world.services.lines, clock, team)


@pytest.fixture
async def line(db_url: str, kv: KavenegarSandbox) -> AsyncIterator[Line]:
    """A line on SQLite, then on PostgreSQL."""
    async for made in make_line(db_url, kv):
        yield made


async def test_first_offer_times_out_the_second_is_accepted(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    assert line.last_text(CAROL) == "📞 Connecting you with support… You are number 1 in the queue."
    assert await line.lines.tick() == 1
    # the person first in the rotation gets the first offer, with Accept
    assert "Carol asks support for a call" in line.last_text(ALICE)
    assert line.last(ALICE).buttons[0].text == "✅ Accept"
    assert line.messenger.to(BOB) == []
    line.clock.advance(19)
    assert await line.lines.tick() == 0  # still Alice's turn
    line.clock.advance(1)
    assert await line.lines.tick() == 1
    assert line.messenger.now_reads(ALICE, 1) == (
        "This request went to the next person (not accepted in time)."
    )
    assert "Carol asks support for a call" in line.last_text(BOB)
    # Alice's expired offer can no longer be taken
    assert await line.accept(ALICE, line.offer_id(ALICE)) == "offer_over"
    assert await line.accept(BOB) == "offer_accepted"
    (body,) = line.calls_posted()
    assert (body["caller"]["username"], body["receptor"]["username"]) == (
        f"tg{CAROL}",
        f"tg{BOB}",
    )
    # each gets their own token, under a note naming the line; offers say who took it
    carol_token, bob_token = line.last(CAROL), line.last(BOB)
    assert carol_token.carries_secret and bob_token.carries_secret
    assert "📞 Support line support" in carol_token.html
    assert line.messenger.now_reads(ALICE, 1) == "Bob took this call."
    assert line.messenger.now_reads(BOB, 1) == (
        "You took this call: your token is in my next message."
    )
    request = await line.request_of(CAROL)
    assert (request.status, request.accepted_by) == (LineStatus.CONNECTED, BOB)


async def test_accept_pressed_twice_or_by_two_at_once_places_one_call(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    offer = line.offer_id(ALICE)
    answers = await asyncio.gather(*(line.accept(ALICE, offer) for _ in range(3)))
    assert sorted(answers) == ["offer_accepted", "offer_already_yours", "offer_already_yours"]
    assert await line.accept(BOB, offer) == "callback_not_yours"
    assert len(line.calls_posted()) == 1
    line.clock.advance(120)  # a replica looking at it later does not place it again
    await line.lines.tick()
    assert len(line.calls_posted()) == 1


async def test_pressing_start_again_keeps_one_place(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.newcomer(CAROL, "Carol")
    assert line.last_text(CAROL) == ("You are already waiting for support: number 1 in the queue.")
    await line.lines.tick()
    assert len([m for m in line.messenger.to(ALICE) if m.buttons]) == 1


async def test_newcomers_queue_while_members_are_busy_and_move_up(line: Line) -> None:
    for newcomer, member in ((CAROL, ALICE), (DAVE, BOB)):
        await line.newcomer(newcomer, f"N{newcomer}")
        await line.lines.tick()
        assert await line.accept(member) == "offer_accepted"
    await line.newcomer(ERIN, "Erin")
    await line.newcomer(FRANK, "Frank")
    assert line.last_text(ERIN).endswith("You are number 1 in the queue.")
    assert line.last_text(FRANK).endswith("You are number 2 in the queue.")
    await line.lines.tick()
    queue = visible(
        await line.lines.queue_text("en", ALICE, line.team, chat_id=ALICE, private=True)
    )
    assert [row.split(",")[0] for row in queue.splitlines()[1:]] == ["1. Erin", "2. Frank"]
    assert "waiting" in queue and "in the queue" in queue
    # Alice's call ends: Erin, first in line, is offered to her; once she takes it, Frank
    # moves up
    await line.end_call(CAROL, CallOutcome.ANSWERED)
    line.clock.advance(3)
    await line.lines.tick()
    assert "Erin asks support for a call" in line.last_text(ALICE)
    assert await line.accept(ALICE) == "offer_accepted"
    line.clock.advance(2)
    await line.lines.tick()
    frank = await line.request_of(FRANK)
    assert line.messenger.now_reads(FRANK, frank.status_message_id).endswith(
        "You are number 1 in the queue."
    )
    with pytest.raises(Exception, match="Only members of support"):
        await line.lines.queue_text("en", FRANK, line.team, chat_id=FRANK, private=True)


async def test_after_an_answered_call_the_newcomer_rates_it_and_stats_count_it(
    line: Line,
) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    line.clock.advance(7)
    assert await line.accept(ALICE) == "offer_accepted"
    await line.end_call(CAROL, CallOutcome.ANSWERED)
    line.clock.advance(3)
    await line.lines.tick()
    rating = line.last(CAROL)
    assert line.last_text(CAROL) == "How was your call with Alice? Tap 1 to 5 stars."
    assert [b.data for b in rating.buttons] == [
        f"line:r:{(await line.request_of(CAROL)).id}:{n}" for n in range(1, 6)
    ]
    answer = await line.press(CAROL, rating.buttons[3].data)
    assert answer.text("en") == "Thanks for rating the call ★★★★"
    assert (await line.press(BOB, rating.buttons[0].data)).key == "callback_not_yours"
    (stats,) = await line.lines.stats("en", datetime(2026, 11, 1))
    assert stats == (
        "Line support: 1 requests, 1 calls, 100% answered, median wait 7 seconds, rating 4.0★ (1)"
    )


async def test_a_call_that_did_not_connect_offers_call_me_back(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    await line.accept(ALICE)
    await line.end_call(CAROL, CallOutcome.MISSED)
    line.clock.advance(3)
    await line.lines.tick()
    assert line.last_text(CAROL) == (
        "Your call with support didn't connect. Press the button to try again."
    )
    again = line.last(CAROL).buttons[0]
    assert (await line.press(CAROL, again.data)).key == "line_call_back_set"
    await line.lines.tick()
    assert "Carol asks support for a call" in line.last_text(ALICE)


async def test_nobody_accepting_a_whole_round_offers_call_me_back(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    for _ in range(2):
        await line.lines.tick()
        line.clock.advance(20)
    await line.lines.tick()
    assert line.last_text(CAROL).startswith("Nobody in support could take your call just now.")
    request = await line.request_of(CAROL)
    assert request.status is LineStatus.CLOSED
    assert (await line.press(CAROL, f"line:b:{request.id}")).key == "line_call_back_set"
    line.clock.advance(599)
    assert await line.lines.tick() == 0
    line.clock.advance(1)
    await line.lines.tick()  # a new round: Alice first again
    assert "Carol asks support for a call" in line.last_text(ALICE)


async def test_out_of_hours_the_newcomer_is_called_back_when_the_line_opens(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv, hours="sat-wed 14:00-17:00"):
        await line.newcomer(CAROL, "Carol")
        assert line.last_text(CAROL) == (
            "support is closed now. It opens Mon 2026-11-30 14:00 (Asia/Tehran). "
            "Want me to call you back then?"
        )
        assert await line.lines.tick() == 0  # nothing is offered while closed
        assert line.messenger.to(ALICE) == []
        button = line.last(CAROL).buttons[0]
        assert button.text == "🔁 Call me back"
        assert (await line.press(CAROL, button.data)).key == "line_call_back_set"
        assert (await line.press(CAROL, button.data)).key == "line_callback_already"
        line.clock.advance(4 * 3600 - 1)  # 13:59:59
        assert await line.lines.tick() == 0
        line.clock.advance(1)
        assert await line.lines.tick() == 1
        assert "Carol asks support for a call" in line.last_text(ALICE)


async def test_a_newcomer_gets_at_most_the_hourly_calls(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv, line_calls_per_hour=1):
        await line.newcomer(CAROL, "Carol")
        await line.lines.tick()
        await line.accept(ALICE)
        await line.end_call(CAROL, CallOutcome.ANSWERED)
        line.clock.advance(3)
        await line.lines.tick()
        line.clock.advance(600)
        await line.newcomer(CAROL, "Carol")
        assert line.last_text(CAROL) == (
            "You have had 1 calls from support lines in the last hour. "
            "Please try again in 50 minutes."
        )


async def test_members_who_cannot_take_calls_are_not_offered_any(line: Line) -> None:
    await line.world.store.set_dnd(ALICE, True)
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    assert line.messenger.to(ALICE) == []
    assert "Carol asks support for a call" in line.last_text(BOB)


async def test_a_line_turned_off_tells_its_waiting_newcomers(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.world.store.lines.set_line(
        line.team.id, enabled=False, hours=None, changed_by=OWNER, now=line.clock.now()
    )
    await line.lines.tick()
    assert line.last_text(CAROL) == (
        "support is no longer a support line, so I can't connect you. Sorry!"
    )
    record = await line.world.store.get_user(DAVE)
    assert record is None
    await line.world.person(DAVE, "Dave")
    dave = await line.world.store.get_user(DAVE)
    assert dave is not None
    assert not await line.lines.arrive(dave, "line-support")  # the normal welcome instead


@pytest.mark.parametrize(
    "payload", ["line-", "line-nope", "line-" + "x" * 60, "line-Sup port", "inv_abc", "call"]
)
async def test_payloads_that_are_not_an_open_line_get_the_normal_welcome(
    line: Line, payload: str
) -> None:
    await line.world.person(CAROL, "Carol")
    carol = await line.world.store.get_user(CAROL)
    assert carol is not None
    assert not await line.lines.arrive(carol, payload)
    assert line.messenger.to(CAROL) == []


async def test_a_request_survives_a_replica_that_died_holding_it(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    taken = await line.world.store.lines.claim_due(
        "replica-gone", now=line.clock.now(), lease=timedelta(seconds=120), limit=5
    )
    assert [r.newcomer_id for r in taken] == [CAROL]
    assert await line.lines.tick() == 0
    line.clock.advance(121)  # the lease ran out: another replica takes it up
    assert await line.lines.tick() == 1
    assert "Carol asks support for a call" in line.last_text(ALICE)


async def test_with_numbers_required_the_newcomer_waits_for_theirs(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv, require_phone=True):
        store, now = line.world.store, line.clock.now()
        assert await store.set_phone(ALICE, "+989120000001", now=now) is None
        await line.newcomer(CAROL, "Carol")
        ask = line.last(CAROL)
        assert ask.contact_button == "📱 Share my number"
        assert line.last_text(CAROL).startswith(
            "📞 I'll connect you with support as soon as you share your number."
        )
        assert (await line.request_of(CAROL)).status is LineStatus.HELD
        assert await line.lines.tick() == 0  # nothing is offered for an unverified newcomer
        await line.newcomer(CAROL, "Carol")  # Start again: the same place, the same question
        assert len(await store.lines.finished_since(datetime(2000, 1, 1))) == 1
        assert await store.set_phone(CAROL, "+989120000003", now=now) is None
        carol = await store.get_user(CAROL)
        assert carol is not None
        await line.lines.release_held(carol)
        assert line.last_text(CAROL).startswith("📞 Connecting you with support…")
        await line.lines.tick()
        # Bob has no verified number: only Alice can take it
        assert "Carol asks support for a call" in line.last_text(ALICE)
        assert line.messenger.to(BOB) == []


async def test_a_call_that_may_exist_is_never_offered_again(line: Line) -> None:
    # Kavenegar creates the call, but its answer is lost on the way back
    line.world.kv.add_fault(method="POST", path="/calls", kind="reset", after=True)
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    assert await line.accept(ALICE) == "offer_accepted"
    assert len(line.world.kv.state.calls) == 1
    for person in (CAROL, ALICE):
        assert line.last_text(person).startswith(
            "Kavenegar didn't say clearly whether the call with support was placed."
        )
        assert line.last(person).buttons == ()  # no "Call me back": that could pay twice
    request = await line.request_of(CAROL)
    assert (request.status, request.result) == (LineStatus.DONE, "unsure")
    line.clock.advance(600)
    await line.lines.tick()
    assert len(line.world.kv.state.calls) == 1
    # no "Call me back" was given; a forged one does nothing
    assert (await line.press(CAROL, f"line:b:{request.id}")).key == "callback_unknown"


async def test_a_lines_missed_call_has_no_call_again_only_call_me_back(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    await line.accept(ALICE)
    await line.end_call(CAROL, CallOutcome.MISSED)
    request = await line.request_of(CAROL)
    call = await line.world.store.get_call(request.call_id)
    assert call is not None and call.from_a_line
    # "Call again" would skip the line's hours, offers and quota
    presses = line.world.presses
    carol = await line.world.store.get_user(CAROL)
    again = decode(f"again:{call.id}")
    assert carol is not None and again is not None
    assert (await presses.press(carol.profile, again)).key == "callback_unknown"
    assert len(line.calls_posted()) == 1


async def test_start_again_once_the_line_opened_joins_the_queue(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv, hours="sat-wed 14:00-17:00"):
        await line.newcomer(CAROL, "Carol")
        assert line.last_text(CAROL).startswith("support is closed now.")
        line.clock.advance(5 * 3600)  # 15:00: open
        await line.newcomer(CAROL, "Carol")
        assert line.last_text(CAROL) == (
            "📞 Connecting you with support… You are number 1 in the queue."
        )
        await line.lines.tick()
        assert "Carol asks support for a call" in line.last_text(ALICE)


async def test_one_member_never_holds_two_open_offers(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.newcomer(DAVE, "Dave")
    store = line.world.store
    first, second = await store.lines.claim_due(
        "replica-a", now=line.clock.now(), lease=timedelta(seconds=60), limit=5
    )
    expires = line.clock.now() + timedelta(seconds=20)
    made = await store.lines.offer_to(
        first.id, "replica-a", ALICE, tried=[], now=line.clock.now(), expires_at=expires
    )
    assert isinstance(made, int)
    # another replica, the same instant, the same member: refused by the database
    assert (
        await store.lines.offer_to(
            second.id, "replica-a", ALICE, tried=[], now=line.clock.now(), expires_at=expires
        )
        == "busy"
    )
    assert (
        await store.lines.offer_to(
            second.id, "replica-b", BOB, tried=[], now=line.clock.now(), expires_at=expires
        )
        == "lost"
    )


async def test_a_newcomer_who_blocked_the_bot_gets_no_call(line: Line) -> None:
    await line.newcomer(CAROL, "Carol")
    await line.world.store.set_dm_open(CAROL, False)
    await line.lines.tick()
    assert line.messenger.to(ALICE) == []
    request = await line.request_of(CAROL)
    assert (request.status, request.result) == (LineStatus.DONE, "unreachable")


async def test_held_and_closed_places_expire_and_forget_ends_them(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv, require_phone=True):
        await line.newcomer(CAROL, "Carol")
        assert (await line.request_of(CAROL)).status is LineStatus.HELD
        line.clock.advance(86_400)
        assert await line.lines.tick() == 1
        assert (await line.request_of(CAROL)).result == "expired"
        await line.newcomer(DAVE, "Dave")
        assert await line.world.store.forget_user(DAVE)
        request = await line.request_of(DAVE)
        assert (request.status, request.result) == (LineStatus.DONE, "forgotten")


async def test_forgetting_a_newcomer_with_an_offer_out_frees_the_member(line: Line) -> None:
    await line.world.store.set_dnd(BOB, True)
    await line.newcomer(CAROL, "Carol")
    await line.lines.tick()
    assert "Carol asks support" in line.last_text(ALICE)
    assert await line.world.store.forget_user(CAROL)
    await line.newcomer(DAVE, "Dave")
    await line.lines.tick()
    assert "Dave asks support" in line.last_text(ALICE)


async def test_first_come_first_served_when_a_member_frees_up(line: Line) -> None:
    for newcomer, member in ((CAROL, ALICE), (DAVE, BOB)):
        await line.newcomer(newcomer, f"N{newcomer}")
        await line.lines.tick()
        assert await line.accept(member) == "offer_accepted"
    await line.newcomer(ERIN, "Erin")
    await line.lines.tick()  # both busy: Erin waits
    line.clock.advance(1)
    await line.newcomer(FRANK, "Frank")  # due at once, Erin only at her next look
    await line.end_call(CAROL, CallOutcome.ANSWERED)
    await line.lines.tick()
    assert not any("Frank" in text for text in line.messenger.texts(ALICE))
    line.clock.advance(3)
    await line.lines.tick()
    assert "Erin asks support for a call" in line.last_text(ALICE)


async def test_two_lines_cannot_give_one_newcomer_calls_past_the_hourly_cap(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv, line_calls_per_hour=1):
        store, now = line.world.store, line.clock.now()
        sales = await store.teams.create(
            "sales", owner_id=OWNER, chat_id=GROUP_ID, zone="Asia/Tehran", now=now
        )
        assert sales is not None
        await store.teams.add_members(sales.id, [BOB], now)
        await store.lines.set_line(sales.id, enabled=True, hours=None, changed_by=OWNER, now=now)
        await line.world.store.set_dnd(BOB, False)
        await line.newcomer(CAROL, "Carol")
        carol = await store.get_user(CAROL)
        assert carol is not None and await line.lines.arrive(carol, "line-sales")
        await line.lines.tick()
        alice_offer, bob_offer = line.offer_id(ALICE), line.offer_id(BOB)
        answers = await asyncio.gather(line.accept(ALICE, alice_offer), line.accept(BOB, bob_offer))
        assert sorted(answers) == ["offer_accepted", "offer_over"]
        assert len(line.calls_posted()) == 1


async def test_a_denied_newcomer_is_no_longer_served(sqlite_url: str, kv: KavenegarSandbox) -> None:
    async for line in make_line(sqlite_url, kv):
        await line.newcomer(CAROL, "Carol")
        # an admin's /deny
        await line.world.store.set_access_rule("user", CAROL, False, changed_by=OWNER)
        await line.lines.tick()
        assert line.messenger.to(ALICE) == []
        request = await line.request_of(CAROL)
        assert (request.status, request.result) == (LineStatus.DONE, "denied")
        assert (await line.press(CAROL, f"line:b:{request.id}")).key == "callback_unknown"
