"""Issue 18 item 11: an offer is good only while its line is on, within its hours, and its
newcomer still waits. Accept on an offer that is no longer good places nothing, says why, takes
the button away, and hands the request back to its worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.records import LineStatus, OfferStatus
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE
from .test_lines import CAROL, OWNER, Line, make_line


async def offered(line: Line) -> int:
    await line.newcomer(CAROL, "Carol")
    assert await line.lines.tick() == 1
    return line.offer_id(ALICE)


async def assert_void(line: Line, offer_id: int, reason: str) -> None:
    assert await line.accept(ALICE, offer_id) == reason
    assert line.calls_posted() == []  # nothing paid
    offer = await line.world.store.lines.offer(offer_id)
    assert offer is not None and offer.status is OfferStatus.EXPIRED
    message = line.messenger.current[(ALICE, offer.message_id or 0)]
    assert not message.buttons  # the button goes: it can never work again
    assert await line.accept(ALICE, offer_id) == "offer_over"
    assert line.calls_posted() == []


async def test_accept_after_the_line_was_turned_off_places_nothing(
    db_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(db_url, kv):
        offer_id = await offered(line)
        await line.world.store.lines.set_line(
            line.team.id, enabled=False, hours=None, changed_by=OWNER, now=line.clock.now()
        )
        await assert_void(line, offer_id, "offer_line_off")
        assert "turned off" in line.messenger.now_reads(ALICE, 1)
        # its request is due at once, and its worker closes it and tells the newcomer
        await line.lines.tick()
        request = await line.request_of(CAROL)
        assert request.status is LineStatus.DONE
        assert "support" in line.last_text(CAROL)


async def test_accept_after_the_line_closed_for_the_day_places_nothing(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    # Monday 10:00 in Tehran; the line is open 09:00-10:30
    async for line in make_line(sqlite_url, kv, hours="sat-wed 09:00-10:30"):
        offer_id = await offered(line)
        line.clock.advance(timedelta(minutes=31).total_seconds())  # 10:31: closed
        await assert_void(line, offer_id, "offer_line_closed")


async def test_accept_after_the_newcomer_left_places_nothing(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv):
        offer_id = await offered(line)
        request = await line.request_of(CAROL)
        assert await line.world.store.lines.change(
            request.id, expect=(LineStatus.OFFERING,), status=LineStatus.DONE
        )
        await assert_void(line, offer_id, "offer_not_waiting")


async def test_a_line_turned_off_between_the_check_and_the_accept_still_wins(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """The store's accept checks the line in the same update (no read-then-write gap)."""
    async for line in make_line(sqlite_url, kv):
        offer_id = await offered(line)
        await line.world.store.lines.set_line(
            line.team.id, enabled=False, hours=None, changed_by=OWNER, now=line.clock.now()
        )
        taken = await line.world.store.lines.accept(
            offer_id, ALICE, now=line.clock.now(), grace=timedelta(seconds=30)
        )
        assert taken is None


async def test_a_newcomer_who_leaves_has_their_offers_withdrawn_in_place(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """Issue 19 item 14: after the newcomer's /forget, no member keeps their name and a
    live-looking Accept."""
    async for line in make_line(sqlite_url, kv):
        offer_id = await offered(line)
        assert "Carol" in line.messenger.now_reads(ALICE, 1)
        await line.lines.withdraw_offers(CAROL)
        await line.world.services.people.forget(CAROL)
        offer = await line.world.store.lines.offer(offer_id)
        assert offer is not None and offer.status is OfferStatus.EXPIRED
        shown = line.messenger.current[(ALICE, offer.message_id or 0)]
        assert "withdrawn" in shown.html and "Carol" not in shown.html and not shown.buttons
        assert await line.accept(ALICE, offer_id) == "offer_over"
        assert line.calls_posted() == []


async def test_the_queue_is_shown_in_the_teams_group_or_in_private_only(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """Issue 19 item 14: a member asking in another group does not post newcomers' names."""
    from bot.oncall.service import Refused

    async for line in make_line(sqlite_url, kv):
        await offered(line)
        lines, team = line.lines, line.team
        here = await lines.queue_text("en", ALICE, team, chat_id=team.chat_id, private=False)
        mine = await lines.queue_text("en", ALICE, team, chat_id=ALICE, private=True)
        assert "Carol" in here and here == mine
        with pytest.raises(Refused, match="belongs to another group"):
            await lines.queue_text("en", ALICE, team, chat_id=-100999, private=False)
