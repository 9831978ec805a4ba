"""Hostile probes (issue 18): support lines' Accept and line calls against /call's rules and
a dying placer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from bot.core.buttons import PressAnswer
from bot.core.records import CallKey, CallOutcome, CallStatus, Claimed, LineStatus
from bot.support_lines.service import ACCEPT_GRACE, LineService
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB
from .test_lines import CAROL, Line, make_line

DEAD = "replica-dead"


async def offered(line: Line) -> int:
    await line.newcomer(CAROL, "Carol")
    assert await line.lines.tick() == 1
    return line.offer_id(ALICE)


async def test_accept_refused_by_the_rules_says_why(sqlite_url: str, kv: KavenegarSandbox) -> None:
    """Alice turned do-not-disturb on after the offer reached her; her Accept places nothing
    (good) but the alert is 'I couldn't place the call; they were offered to try again.'
    rather than why; and Carol is told to press 'try again' (a Kavenegar-failure text)."""
    async for line in make_line(sqlite_url, kv):
        offer_id = await offered(line)
        await line.world.services.people.set_dnd(ALICE, True)
        answer = await line.press(ALICE, f"line:a:{offer_id}")
        assert line.calls_posted() == []
        assert answer.alert
        assert answer.key == "call_not_taking_calls", answer.key


async def test_a_denied_member_is_not_offered_or_is_passed_over(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """An admin /deny-s Alice (a member, first in the rotation). The line still offers her the
    call (the offer skips only DND/uncallable/blocked/no number, not /deny or the allow-list);
    her Accept is refused by place_for and the whole request ends FAILED: Carol never gets
    Bob, who was free."""
    async for line in make_line(sqlite_url, kv):
        await line.world.services.access.set_rule("user", ALICE, False, changed_by=BOB)
        await line.newcomer(CAROL, "Carol")
        await line.lines.tick()
        alice_offers = [m for m in line.messenger.to(ALICE) if m.buttons]
        if alice_offers:
            await line.accept(ALICE, line.offer_id(ALICE))
        for _ in range(3):
            line.clock.advance(21)
            await line.lines.tick()
        bob_offers = [m for m in line.messenger.to(BOB) if m.buttons]
        assert bob_offers, (
            f"Alice offered: {bool(alice_offers)}; Carol's request: "
            f"{(await line.request_of(CAROL)).status}, {(await line.request_of(CAROL)).result}"
        )


async def test_a_line_call_lost_while_placing_is_told(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """Alice's Accept was taken by a replica that then died mid-POST (call claimed under its
    placing lease, no answer kept). The watcher closes the call 'may or may not exist' but
    stays quiet for a line's call ('told by the line'); the line's worker, after
    ACCEPT_GRACE, finds the key claimed (DUPLICATE with a row), treats it as placed, then
    ends it ENDED without a word. Neither Carol nor Alice hears anything."""
    async for line in make_line(sqlite_url, kv):
        offer_id = await offered(line)
        store = line.world.store
        request = await store.lines.accept(
            offer_id, ALICE, now=line.clock.now(), grace=ACCEPT_GRACE
        )
        assert request is not None
        key = CallKey.line(CAROL, request.id)
        calls = line.world.services.calls
        claim = await store.claim_call(
            chat_id=key.chat_id,
            message_id=key.message_id,
            caller_id=CAROL,
            callee_id=ALICE,
            max_duration=600,
            now=line.clock.now(),
            owner=DEAD,
            placing=calls.placing,
        )
        assert isinstance(claim, Claimed)
        carol_before, alice_before = len(line.messenger.to(CAROL)), len(line.messenger.to(ALICE))
        for _ in range(40):
            line.clock.advance(5)
            await line.world.settle()
        call = await store.get_call(claim.row_id)
        assert call is not None and call.status is CallStatus.UNKNOWN
        assert call.outcome is CallOutcome.UNKNOWN
        done = await line.request_of(CAROL)
        assert done.status is LineStatus.DONE
        assert line.calls_posted() == []
        told_carol = line.messenger.texts(CAROL)[carol_before:]
        told_alice = line.messenger.texts(ALICE)[alice_before:]
        assert told_carol and told_alice, (done.result, told_carol, told_alice)


async def test_two_members_accept_at_once_one_call(sqlite_url: str, kv: KavenegarSandbox) -> None:
    """Held: Alice's offer times out, Bob's comes; Alice presses her stale one and Bob his,
    concurrently, twice each, on two replicas."""
    async for line in make_line(sqlite_url, kv):
        alice_offer = await offered(line)
        line.clock.advance(20)
        await line.lines.tick()
        bob_offer = line.offer_id(BOB)
        other = line.world.replica("replica-b").lines
        from bot.core.buttons import decode

        def press(svc: LineService, who: int, offer: int) -> Awaitable[PressAnswer]:
            p = decode(f"line:a:{offer}")
            assert p is not None
            return svc.press(who, p)

        answers = await asyncio.gather(
            press(line.lines, BOB, bob_offer),
            press(other, BOB, bob_offer),
            press(line.lines, ALICE, alice_offer),
            press(other, ALICE, alice_offer),
        )
        assert len(line.calls_posted()) == 1
        assert [a.key for a in answers].count("offer_accepted") == 1
