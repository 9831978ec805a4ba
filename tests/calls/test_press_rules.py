"""Issue 18, the presses: a press spends money only where the same person's /call would.

"Call again" and a ring's "Answer" go through the one money path (``CallService.place_for``),
which applies, at the moment of the press, every rule ``/call`` applies: the people's own
(Start pressed, reachable, do-not-disturb, uncallable, numbers) and the admins' (allow-lists and
/deny, for the caller in the call's chat and for the callee). A refused press gets an alert that
says why, and places nothing; a ring that can never be taken loses its buttons.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.calls.service import Origin
from bot.core.buttons import UNKNOWN
from bot.core.clock import ManualClock
from bot.core.records import CallKey, CallOutcome, CallRecord, CallStatus, PlaceResult
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .presses import CAROL, missed_call, posts, pressed, ring, worlds


def bobs_ring(world: World, record: CallRecord) -> Any:
    return world.messenger.current[(BOB, record.callee_message_id or 0)]


# -- 1. Call again keeps /call's rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        pytest.param(ALICE, "access_user", id="caller-denied"),
        pytest.param(BOB, "call_not_taking_calls", id="callee-denied"),
    ],
)
async def test_call_again_after_a_deny_places_nothing_and_says_why(
    direct: World, subject: int, reason: str
) -> None:
    """Issue 18 item 1: an admin /deny-s Alice (or Bob); her old "Call again" must not call."""
    record = await missed_call(direct)
    await direct.services.access.set_rule("user", subject, False, changed_by=ALICE)
    before = len(posts(direct))
    answer = await pressed(direct, ALICE, f"again:{record.id}")
    assert answer.alert and answer.key == reason
    assert len(posts(direct)) == before  # nothing paid
    tokens = [m for m in direct.messenger.to(BOB) if m.carries_secret]
    assert len(tokens) == 1  # the first call's only: no new token


async def test_call_again_outside_the_allow_list_places_nothing(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Issue 18 item 1: an allow-list set since (here: Carol only): Alice is left out."""
    async for world in worlds(sqlite_url, kv, clock):
        record = await missed_call(world)
        await world.services.access.set_rule("user", CAROL, True, changed_by=ALICE)
        before = len(posts(world))
        answer = await pressed(world, ALICE, f"again:{record.id}")
        assert answer.alert and answer.key == "access_user"
        assert len(posts(world)) == before


async def test_call_again_for_a_caller_the_bot_cannot_reach_places_nothing(direct: World) -> None:
    record = await missed_call(direct)
    await direct.services.people.set_reachable(ALICE, False)  # she blocked the bot
    before = len(posts(direct))
    answer = await pressed(direct, ALICE, f"again:{record.id}")
    assert answer.alert and answer.key == "call_caller_not_started"
    assert len(posts(direct)) == before


async def test_call_again_still_works_when_the_rules_allow_it(direct: World) -> None:
    """The control: the same press, no rule against it, is one new call."""
    record = await missed_call(direct)
    before = len(posts(direct))
    answer = await pressed(direct, ALICE, f"again:{record.id}")
    assert answer.key == "callback_calling"
    assert len(posts(direct)) == before + 1


# -- 1 and 2. Answer keeps /call's rules ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param("deny-caller", "access_user", id="caller-denied"),
        pytest.param("deny-group", "access_chat", id="group-denied"),
        pytest.param("uncallable-callee", "call_not_taking_calls", id="callee-uncallable"),
        pytest.param("caller-blocked-the-bot", "call_caller_not_started", id="caller-blocked"),
    ],
)
async def test_an_answer_the_rules_now_forbid_places_nothing(
    ringing: World, change: str, reason: str
) -> None:
    """Issue 18 items 1 and 2: the caller denied, the group denied, Bob made uncallable, or
    Alice blocked the bot (``my_chat_member`` arrived) while Bob's phone rang in Telegram."""
    record = await ring(ringing)
    services = ringing.services
    match change:
        case "deny-caller":
            await services.access.set_rule("user", ALICE, False, changed_by=ALICE)
        case "deny-group":
            await services.access.set_rule("chat", GROUP, False, changed_by=ALICE)
        case "uncallable-callee":
            await services.people.set_callable(BOB, False, changed_by=ALICE)
        case "caller-blocked-the-bot":
            await services.people.set_reachable(ALICE, False)
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert answer.alert and answer.key == reason
    assert ringing.kv.requests == []  # nothing paid
    assert not bobs_ring(ringing, record).buttons  # this ring can never be taken now
    closed = await ringing.store.get_call(record.id)
    assert closed is not None and closed.status is CallStatus.RANG
    assert (await pressed(ringing, BOB, f"ring:a:{record.id}")).key == "callback_ring_over"
    assert ringing.kv.requests == []


# -- 7. Answer, then a POST that fails -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        pytest.param(
            {"status": 429, "headers": {"Retry-After": "40"}, "body": {"status": "x"}},
            "try again in 40 seconds",
            id="not-placed",
        ),
        pytest.param({"status": 503}, "may or may not exist", id="may-exist"),
    ],
)
async def test_an_answer_whose_call_fails_says_so_where_it_said_ringing(
    ringing: World, fault: dict[str, Any], says: str
) -> None:
    """Issue 18 item 7: Bob was told "your access token follows" and the group "ringing…";
    both now say what became of the call, in place."""
    record = await ring(ringing)
    ringing.kv.add_fault(method="POST", path="/calls", times=None, **fault)
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert answer.alert
    bob = bobs_ring(ringing, record)
    assert says in bob.html and "token follows" not in bob.html and not bob.buttons
    notice = ringing.messenger.now_reads(GROUP, record.notice_message_id or 0)
    assert says in notice and "ringing" not in notice
    assert len(ringing.answers()) == 1  # edited in place, not a second message
    assert len(posts(ringing)) == 1


# -- 10. No "Call again" on a page's attempts ----------------------------------------------------


async def test_a_page_attempt_offers_no_call_again(direct: World) -> None:
    """Issue 18 item 10: the page rings the next person itself; a "Call again" beside it would
    be a second paid call on the side. Neither the button nor a forged press of it works."""
    caller, callee = await direct.store.get_user(ALICE), await direct.store.get_user(BOB)
    assert caller is not None and callee is not None
    report = await direct.services.calls.place_for(
        CallKey.page_attempt(GROUP, 7, 0),
        caller,
        callee,
        60,
        origin=Origin(chat_id=GROUP, private=False, quiet=True),
        page_id=7,
    )
    assert report.outcome is PlaceResult.PLACED and report.call_row_id is not None
    await direct.store.close_call(report.call_row_id, outcome=CallOutcome.MISSED)
    attempt = await direct.store.get_call(report.call_row_id)
    assert attempt is not None and attempt.page_id == 7 and not attempt.offers_call_again
    await direct.services.watcher.announcer.announce(attempt)
    withdrawn = direct.messenger.now_reads(ALICE, attempt.caller_message_id or 0)
    assert "missed" in withdrawn.lower() or "didn" in withdrawn.lower()
    assert not direct.messenger.current[(ALICE, attempt.caller_message_id or 0)].buttons
    before = len(posts(direct))
    assert await pressed(direct, ALICE, f"again:{attempt.id}") == UNKNOWN
    assert len(posts(direct)) == before
    # the control: the same call, not a page's, offers it
    direct_call = await missed_call(direct)
    assert direct_call.offers_call_again
