"""``/page`` on the fast layer: whom a page rings and in what order, who is skipped and why,
what the group's notice says at each step, and who hears of a page nobody answered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.buttons import NOT_YOURS, UNKNOWN, Press, PressKind
from bot.core.clock import ManualClock
from bot.oncall.paging import BUSY_PAUSE, BUSY_RETRIES
from kavenegar.sandbox import CALL_WINDOW, KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, ERIN, START, Ops, make_ops, on_call_world, profile


@pytest.fixture
async def ops(world: World) -> Ops:
    """Team ops: Bob, Carol and Dave, in that order (Bob on call)."""
    return await make_ops(world, BOB, CAROL, DAVE)


async def test_the_person_on_call_is_rung_first_then_the_rotation_never_the_pager(
    world: World,
) -> None:
    """Carol covers, so she is rung first; then the rotation order from her, wrapping around
    and leaving out Alice, who pages; the third call is answered and the page stops there."""
    ops = await make_ops(world, ALICE, BOB, CAROL, DAVE)
    covered = await world.services.oncall.cover("en", BOB, ops.team, [], profile(CAROL), "4h")
    assert visible(covered).startswith("Carol is on call for ops until")
    notice = await ops.page("database down")
    await ops.until(lambda: len(ops.rung()) == 3, what="the third call")
    (bobs_call,) = ops.calls_to(BOB)
    world.kv.state.answer(bobs_call.id)
    await ops.until_over(notice)
    assert ops.rung() == [CAROL, DAVE, BOB]  # one paid call each, Alice none
    assert ops.notice(notice) == [
        "📟 Alice paged ops",
        "Reason: database down",
        "Ringing Carol (attempt 1)…",
        "Carol didn't answer (missed).",
        "Ringing Dave (attempt 2)…",
        "Dave didn't answer (missed).",
        "Ringing Bob (attempt 3)…",
        "✅ Answered by Bob after 3 attempts.",
    ]
    # each one rung got the token with the page's reason; the pager is told of no failure
    for person in (CAROL, DAVE, BOB):
        assert any("database down" in text for text in world.messenger.texts(person))
    assert not any("Nobody answered" in text for text in world.messenger.texts(ALICE))
    ops.clock.advance(600)
    await world.settle()
    assert len(ops.rung()) == 3  # an answered page rings nobody else


async def test_each_person_is_rung_again_before_the_next(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """``PAGE_RETRIES=1``: every person gets a second call before the page moves on."""
    async for world in on_call_world(sqlite_url, kv, clock, page_retries=1):
        ops = await make_ops(world, BOB, CAROL)
        notice = await ops.page(None)
        await ops.until_over(notice)
        assert ops.rung() == [BOB, BOB, CAROL, CAROL]
        assert ops.notice(notice)[:4] == [
            "📟 Alice paged ops",
            "Ringing Bob (attempt 1)…",
            "Bob didn't answer (missed).",
            "Ringing Bob (attempt 2)…",
        ]


async def test_who_cannot_be_rung_is_skipped_and_named(world: World) -> None:
    """Never pressed Start, do not disturb, blocked the bot, made uncallable by an admin: each
    is skipped without a call, and the notice says who and why."""
    await world.person(ERIN, "Erin", "erin_k", started=False)  # seen in the group only
    ops = await make_ops(world, BOB, CAROL, DAVE, ERIN, ALICE)
    await world.store.set_dnd(BOB, True)
    await world.store.set_dm_open(CAROL, False)
    await world.store.set_uncallable(DAVE, True, changed_by=ALICE)
    notice = await ops.page("disk full")
    await ops.until_over(notice)
    assert ops.rung() == []  # no paid call at all: Alice, the only one left, paged
    assert ops.notice(notice) == [
        "📟 Alice paged ops",
        "Reason: disk full",
        "Bob skipped: 🔕 do not disturb.",
        "Carol skipped: ⛔ blocked the bot.",
        "Dave skipped: 🚫 can't be called.",
        "Erin skipped: ⏳ never pressed Start.",
        "❌ Nobody answered.",
    ]


async def test_the_skipped_are_passed_over_for_the_next_who_can_be_rung(ops: Ops) -> None:
    await ops.world.store.set_dnd(BOB, True)
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="a call")
    assert ops.rung() == [CAROL]
    assert ops.notice(notice)[2:] == [
        "Bob skipped: 🔕 do not disturb.",
        "Ringing Carol (attempt 1)…",
    ]


async def test_a_page_nobody_answers_tells_the_pager_privately(ops: Ops) -> None:
    notice = await ops.page("database down")
    await ops.until_over(notice)
    assert ops.rung() == [BOB, CAROL, DAVE]
    assert ops.notice(notice)[-2:] == ["Dave didn't answer (missed).", "❌ Nobody answered."]
    told = "📟 Nobody answered your page of ops."
    assert ops.world.messenger.texts(ALICE).count(told) == 1
    for member in (BOB, CAROL, DAVE):
        assert told not in ops.world.messenger.texts(member)
    ops.clock.advance(600)
    await ops.world.settle()
    assert len(ops.rung()) == 3  # over: nobody is rung again
    assert ops.world.messenger.texts(ALICE).count(told) == 1


async def test_a_declined_call_moves_the_page_on_at_once(ops: Ops) -> None:
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    (bobs_call,) = ops.calls_to(BOB)
    ops.world.kv.state.finish(bobs_call.id, "rejected")
    await ops.until(lambda: len(ops.rung()) == 2, step=1.0, what="Carol rung")
    assert ops.clock.now() - bobs_call.created_at < CALL_WINDOW  # not the end of Bob's minute
    assert ops.notice(notice)[2:] == [
        "Ringing Bob (attempt 1)…",
        "Bob didn't answer (declined).",
        "Ringing Carol (attempt 2)…",
    ]


async def test_one_who_left_the_team_is_passed_over(ops: Ops) -> None:
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    team = ops.team
    gone = await ops.world.services.oncall.remove("en", ALICE, team, [], profile(CAROL))
    assert visible(gone) == "Carol left ops."
    await ops.until(lambda: len(ops.rung()) == 2, what="the next one rung")
    assert ops.rung() == [BOB, DAVE]
    assert "Carol left the team." in ops.notice(notice)


# -- issue 18: what ends a page, and how many run --------------------------------------------

BUSY_429 = {"status": 429, "headers": {"Retry-After": "120"}, "body": {"status": "x"}}


async def page_as(ops: Ops, by: int, reason: str | None, message_id: int) -> str | None:
    """``by`` types ``/page ops <reason>`` as message ``message_id`` of the group: the answer to
    it (None: the page's own notice answers)."""
    pager = await ops.world.store.get_user(by)
    assert pager is not None
    return await ops.world.services.pages.start(
        "en", pager, ops.team, chat_id=GROUP, message_id=message_id, reason=reason
    )


async def test_parallel_pages_of_one_team_join_the_running_page_and_place_one_call(
    ops: Ops,
) -> None:
    """Issue 18 item 3: two ``/page ops`` by Alice and one by Carol at the same moment are one
    page: one paid call at a time, the two others joined to it (their reasons on its notice)."""
    answers = await asyncio.gather(
        page_as(ops, ALICE, "database down", 1000),
        page_as(ops, ALICE, None, 1001),
        page_as(ops, CAROL, "disk full", 1002),
    )
    assert answers.count(None) == 1  # one page started; the two others were told it runs
    for answer in answers:
        if answer is not None:
            assert visible(answer).startswith("📟 ops is already being paged by "), answer
            assert "just now" in answer
    notices = [m for m in ops.world.messenger.to(GROUP) if "paged ops" in m.html]
    assert len(notices) == 1
    notice = ops.world.messenger.to(GROUP).index(notices[0]) + 1
    await ops.world.settle()
    assert ops.rung() == [BOB]  # one escalation, one call at a time
    lines = ops.notice(notice)
    assert len([line for line in lines if line.startswith("Also paged by")]) == 2
    # whichever of the three started it (the winner is a race), every reason is on the notice
    assert all(any(reason in line for line in lines) for reason in ("database down", "disk full"))
    await ops.until_over(notice)
    starter = ALICE if lines[0] == "📟 Alice paged ops" else CAROL
    assert ops.rung() == [m for m in (BOB, CAROL, DAVE) if m != starter]  # once each


async def test_a_page_of_a_team_being_paged_says_by_whom_and_since_when(ops: Ops) -> None:
    """Issue 18 item 3: Carol pages ops 40 s after Alice: she is told, and no call is placed."""
    notice = await ops.page("database down")
    await ops.world.settle()
    assert ops.rung() == [BOB]
    ops.clock.advance(40)
    answer = await page_as(ops, CAROL, "disk full", 1001)
    assert answer is not None
    assert visible(answer) == (
        "📟 ops is already being paged by Alice, 40 seconds ago; your reason was added to it."
    )
    assert ops.notice(notice)[:4] == [
        "📟 Alice paged ops",
        "Reason: database down",
        "Also paged by Carol: disk full",
        "Ringing Bob (attempt 1)…",
    ]
    await ops.world.settle()
    assert ops.rung() == [BOB]  # Carol's page placed nothing
    (bobs_call,) = ops.calls_to(BOB)
    ops.world.kv.state.answer(bobs_call.id)
    await ops.until_over(notice)
    # over: the next /page starts a page of its own
    assert await page_as(ops, CAROL, "again", 1002) is None
    await ops.until(lambda: len(ops.rung()) == 2, what="the new page's call")


@pytest.mark.parametrize(
    ("fault", "how"),
    [
        # Kavenegar no longer knows the call: the watcher closes it as unknown
        (
            {"method": "GET", "path": "/calls/", "status": 404, "body": {"status": "not_found"}},
            "unknown",
        ),
        # created, but the answer was lost: nothing follows it, and its minute surely is over
        ({"method": "POST", "path": "/calls", "status": 500, "after": True}, "unknown"),
        # no end reported within maxDuration and the grace period: closed as expired
        ({"method": "GET", "path": "/calls/", "status": 503}, "no end reported"),
    ],
    ids=["closed-unknown", "unfollowed-and-over", "expired"],
)
async def test_a_call_that_can_no_longer_be_known_is_not_answered_and_the_page_moves_on(
    ops: Ops, fault: dict[str, Any], how: str
) -> None:
    """Issue 18 item 5: the notice says Bob's call can no longer be followed, and Carol is rung."""
    ops.world.kv.add_fault(times=1 if fault["method"] == "POST" else None, **fault)
    notice = await ops.page()
    await ops.until(lambda: len(ops.rung()) == 2, step=30, what="Carol rung")
    assert ops.rung() == [BOB, CAROL]
    assert ops.notice(notice)[2:5] == [
        "Ringing Bob (attempt 1)…",
        f"Bob's call can no longer be followed ({how}): taken as not answered.",
        "Ringing Carol (attempt 2)…",
    ]


async def test_a_busy_kavenegar_is_tried_again_and_said_while_it_waits(ops: Ops) -> None:
    """Issue 18 item 6: "busy" (429) is shown on the notice while the page waits, and the next
    try is a try of its own (a busy try placed nothing): Bob is rung for real then."""
    ops.world.kv.add_fault(method="POST", path="/calls", times=2, **BUSY_429)
    notice = await ops.page()
    await ops.world.settle()
    assert ops.notice(notice)[-1] == (
        "⏳ Kavenegar is busy: retrying to ring Bob in 30 seconds (1 of 10)…"
    )
    ops.clock.advance(30)
    await ops.world.settle()
    assert ops.notice(notice)[-1] == (
        "⏳ Kavenegar is busy: retrying to ring Bob in 30 seconds (2 of 10)…"
    )
    ops.clock.advance(29)
    await ops.world.settle()
    assert ops.rung() == []  # not before BUSY_PAUSE
    ops.clock.advance(1)
    await ops.world.settle()
    assert ops.rung() == [BOB]
    assert ops.notice(notice)[2:] == ["Ringing Bob (attempt 1)…"]  # "busy" is gone


async def test_a_page_kavenegar_keeps_answering_busy_ends_and_tells_the_pager(ops: Ops) -> None:
    """Issue 18 item 6: after BUSY_RETRIES tries again the page stops (it never ended before)."""
    ops.world.kv.add_fault(method="POST", path="/calls", times=None, **BUSY_429)
    notice = await ops.page("database down")
    await ops.until_over(notice)
    assert ops.rung() == []
    posts = [r for r in ops.world.kv.requests if r["method"] == "POST"]
    assert len(posts) == BUSY_RETRIES + 1
    assert ops.clock.now() - START < BUSY_PAUSE * (BUSY_RETRIES + 1)
    assert ops.notice(notice)[2:] == ["❌ Stopped: Kavenegar stayed busy after 11 tries."]
    told = "📟 Your page of ops stopped: Kavenegar stayed busy after 11 tries."
    assert ops.world.messenger.texts(ALICE).count(told) == 1
    ops.clock.advance(600)
    await ops.world.settle()
    assert len([r for r in ops.world.kv.requests if r["method"] == "POST"]) == len(posts)


async def test_rejected_credentials_stop_the_page_with_what_call_says(ops: Ops) -> None:
    """Issue 18 item 8: not "Nobody answered" after trying everyone: the page stops at the first
    refusal, and the group and the pager read what /call would say."""
    unauthorized = {"status": "unauthorized", "reasons": ["invalid_api_token"]}
    ops.world.kv.add_fault(method="POST", path="/calls", times=None, status=401, body=unauthorized)
    notice = await ops.page("database down")
    await ops.until_over(notice)
    credentials = (
        "Kavenegar rejected this bot's credentials, so I can't place calls. "
        "Please tell the bot's admin."
    )
    assert ops.notice(notice)[2:] == [f"❌ Stopped: {credentials}"]
    assert ops.world.messenger.texts(ALICE) == [f"📟 Your page of ops stopped: {credentials}"]
    assert len([r for r in ops.world.kv.requests if r["method"] == "POST"]) == 1
    for member in (BOB, CAROL, DAVE):  # no member was rung, nor told anything
        assert ops.world.messenger.texts(member) == []


async def test_the_person_rung_acknowledges_with_im_on_it_though_the_pager_never_joins(
    ops: Ops,
) -> None:
    """Issue 18 item 9: Bob joins, Alice (the caller of every attempt) does not, so the call
    never connects; "I'm on it" under Bob's token ends the page, his call left alone."""
    notice = await ops.page()
    await ops.world.settle()
    (bobs_call,) = ops.calls_to(BOB)
    (record,) = await ops.world.store.list_calls()
    token = ops.world.messenger.to(BOB)[-1]
    assert [(b.text, b.data) for b in token.buttons if b.data] == [
        ("🙋 I'm on it", f"page:k:{record.id}")
    ]
    ops.world.kv.state.join(bobs_call.id, "receptor")
    ops.clock.advance(10)
    await ops.world.settle()
    answer = await ops.world.services.pages.press(BOB, Press(PressKind.PAGE_ACK, record.id))
    assert (answer.text("en"), answer.alert) == ("Thanks: ops knows you're on it.", False)
    assert ops.notice(notice)[-2:] == [
        "Ringing Bob (attempt 1)…",
        "✅ Bob is on it (acknowledged after 1 attempt).",
    ]
    assert ops.world.kv.state.calls[bobs_call.id].status != "finished"  # not cut
    await ops.until(lambda: bobs_call.status == "finished", what="Bob's call to end")
    ops.clock.advance(600)
    await ops.world.settle()
    assert ops.rung() == [BOB]  # acknowledged: nobody else is rung
    assert ops.notice(notice)[-1] == "✅ Bob is on it (acknowledged after 1 attempt)."
    assert not any("Nobody answered" in text for text in ops.world.messenger.texts(ALICE))


async def test_im_on_it_is_the_rung_persons_only_and_over_with_the_page(ops: Ops) -> None:
    """Issue 18 item 9: someone else's press is not theirs; a press on an ended page is told
    it is over; a second press is already done; a connected call still answers the page."""
    pages = ops.world.services.pages
    notice = await ops.page()
    await ops.world.settle()
    (bobs,) = await ops.world.store.list_calls()
    press = Press(PressKind.PAGE_ACK, bobs.id)
    assert await pages.press(CAROL, press) == NOT_YOURS
    assert await pages.press(BOB, Press(PressKind.PAGE_ACK, 999_999)) == UNKNOWN
    ops.world.kv.state.finish(ops.calls_to(BOB)[0].id, "rejected")
    await ops.until(lambda: len(ops.rung()) == 2, step=1.0, what="Carol rung")
    calls = await ops.world.store.list_calls()
    carols = next(c for c in calls if c.callee_id == CAROL)
    ops.world.kv.state.answer(ops.calls_to(CAROL)[0].id)  # both join: answered, as before
    await ops.until_over(notice)
    assert ops.notice(notice)[-1] == "✅ Answered by Carol after 2 attempts."
    over = await pages.press(CAROL, Press(PressKind.PAGE_ACK, carols.id))
    assert (over.text("en"), over.alert) == ("This page is over.", True)
    assert (await pages.press(BOB, press)).text("en") == "This page is over."
    # a second page, acknowledged twice
    assert await page_as(ops, ALICE, None, 1001) is None
    await ops.world.settle()
    latest = max(await ops.world.store.list_calls(), key=lambda c: c.id)
    again = Press(PressKind.PAGE_ACK, latest.id)
    assert (await pages.press(latest.callee_id, again)).text("en").startswith("Thanks")
    assert (await pages.press(latest.callee_id, again)).text("en") == "Already done."


async def test_a_team_deleted_mid_page_ends_the_page_and_tells_the_pager(ops: Ops) -> None:
    """Issue 18 item 12: not left at "Ringing Bob…" forever: the page stops as pages end."""
    notice = await ops.page("database down")
    await ops.world.settle()
    assert ops.rung() == [BOB]
    deleted = await ops.world.services.oncall.delete("en", ALICE, ops.team)
    assert visible(deleted) == "Team ops deleted."
    await ops.world.settle()
    assert ops.notice(notice)[-2:] == [
        "Ringing Bob (attempt 1)…",
        "❌ Stopped: the team was deleted.",
    ]
    told = "📟 Your page of ops stopped: the team was deleted."
    assert ops.world.messenger.texts(ALICE).count(told) == 1
    ops.clock.advance(600)
    await ops.world.settle()
    assert ops.rung() == [BOB]
    assert ops.world.messenger.texts(ALICE).count(told) == 1


async def test_a_replica_that_stopped_mid_page_is_taken_over_within_20_seconds(ops: Ops) -> None:
    """Issue 18 item 14: replica A took the page's lease and stopped (killed before its POST);
    replica B rings Bob once the short lease lapses, not two minutes later."""
    world = ops.world
    notice = await ops.page()
    a = world.services.pages
    (taken,) = await a.claim(ops.clock.now(), 5)  # A's tick took it ... and A is gone
    b = world.replica("replica-b", page_retries=0).pages
    assert await b.tick() == 0  # A's lease holds
    ops.clock.advance(10)
    assert await b.tick() == 0
    assert ops.rung() == []
    ops.clock.advance(10)  # 20 s after A took it
    assert await b.tick() == 1
    assert ops.rung() == [BOB]
    assert ops.notice(notice)[-1] == "Ringing Bob (attempt 1)…"
    assert taken.id == (await world.store.list_calls())[0].page_id


async def test_a_live_replicas_slow_step_renews_its_lease(ops: Ops) -> None:
    """Issue 18 item 14: the lease is short, so a step renews it while it works: a POST that
    takes longer than the lease (on the bot's clock) leaves the page to its replica."""
    world = ops.world
    await ops.page()
    world.kv.add_fault(method="POST", path="/calls", kind="hang", times=1)
    b = world.replica("replica-b", page_retries=0).pages
    stepping = asyncio.create_task(world.services.pages.tick())
    for _ in range(100):  # A's POST is out (it hangs until the client gives up)
        await asyncio.sleep(0.005)
        if any(r["method"] == "POST" for r in world.kv.requests):
            break
    for _ in range(3):
        ops.clock.advance(10)  # 30 s in all, twice the lease
        await asyncio.sleep(0.02)  # A's renewal runs
        assert await b.tick() == 0
    assert await stepping == 1
    assert len([r for r in world.kv.requests if r["method"] == "POST"]) == 1
