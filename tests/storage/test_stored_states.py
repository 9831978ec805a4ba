"""Typed states over the values stored as they always were: a page's log (JSON), an offer's
status, a request's result and a team's rotation kind, as written by this version or another."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.core.records import (
    Claimed,
    LineStatus,
    OfferStatus,
    OverQuota,
    PageEvent,
    PageEventKind,
    RequestResult,
)
from bot.storage import Store, utcnow
from bot.storage.tables import line_offers, line_requests, pages, teams

#: A page's log exactly as this bot has always stored it (``json.dumps(..., ensure_ascii=False)``).
OLD_LOG = (
    '[{"event": "skipped", "who": 222, "why": "dnd"}, '
    '{"event": "ringing", "who": 333, "attempt": 1}, '
    '{"event": "no_answer", "who": 333, "how": "missed"}, '
    '{"event": "left", "who": 444}, '
    '{"event": "not_placed", "who": 555}, '
    '{"event": "answered", "who": 666}]'
)
#: Entries from a newer version: a key and an event this one does not know, kept as they are.
NEWER_ENTRIES = (
    '{"event": "ringing", "who": 333, "attempt": 2, "via": "زنگ"}, {"event": "moved", "to": 7}'
)


async def no_quota(conn: object, now: object) -> OverQuota | None:
    return None


async def test_a_page_log_as_stored_loads_typed_and_is_written_back_byte_for_byte(
    store: Store,
) -> None:
    now = utcnow()
    claim = await store.teams.claim_page(
        team_id=1, paged_by=111, reason=None, chat_id=-1, message_id=1, plan=[222, 333],
        now=now, quota_check=no_quota,
    )  # fmt: skip
    assert isinstance(claim, Claimed)
    stored = OLD_LOG[:-1] + ", " + NEWER_ENTRIES + "]"
    async with store.engine.begin() as conn:
        await conn.execute(update(pages).where(pages.c.id == claim.row_id).values(log=stored))
    page = await store.teams.page(claim.row_id)
    assert page is not None
    assert page.log[:6] == [
        PageEvent(PageEventKind.SKIPPED, who=222, why="dnd"),
        PageEvent(PageEventKind.RINGING, who=333, attempt=1),
        PageEvent(PageEventKind.NO_ANSWER, who=333, how="missed"),
        PageEvent(PageEventKind.LEFT, who=444),
        PageEvent(PageEventKind.NOT_PLACED, who=555),
        PageEvent(PageEventKind.ANSWERED, who=666),
    ]
    assert page.log[6] == PageEvent(
        PageEventKind.RINGING, who=333, attempt=2, extra=(("via", "زنگ"),)
    )
    assert page.log[7].kind is None
    (claimed,) = await store.teams.claim_due_pages(
        "r1", now=now, lease=timedelta(seconds=60), limit=5
    )
    assert claimed.log == page.log
    assert await store.teams.save_page(claim.row_id, "r1", next_check_at=None, log=page.log)
    async with store.engine.connect() as conn:
        written = (
            await conn.execute(select(pages.c.log).where(pages.c.id == claim.row_id))
        ).scalar_one()
    assert written == stored


async def test_offer_statuses_request_results_and_rotation_kinds_are_stored_as_before(
    store: Store,
) -> None:
    now = utcnow()
    request = await store.lines.create_request(
        1, 111, status=LineStatus.WAITING, now=now, next_check_at=now
    )
    assert request is not None and request.result is None
    assert await store.lines.change(
        request.id, expect=(LineStatus.WAITING,), status=LineStatus.DONE,
        result=RequestResult.ANSWERED,
    )  # fmt: skip
    async with store.engine.begin() as conn:
        raw = await conn.execute(
            select(line_requests.c.result).where(line_requests.c.id == request.id)
        )
        assert raw.scalar_one() == "answered"
        offers = await conn.execute(
            line_offers.insert()
            .values(
                request_id=request.id, member_id=222, status="open", created_at=now,
                expires_at=now + timedelta(seconds=20),
            )
            .returning(line_offers.c.id)
        )  # fmt: skip
        offer_id = int(offers.scalar_one())
    again = await store.lines.request(request.id)
    assert again is not None and again.result is RequestResult.ANSWERED
    offer = await store.lines.offer(offer_id)
    assert offer is not None and offer.status is OfferStatus.OPEN
    assert await store.lines.end_offer(offer_id, OfferStatus.EXPIRED)
    async with store.engine.connect() as conn:
        raw = await conn.execute(select(line_offers.c.status).where(line_offers.c.id == offer_id))
        assert raw.scalar_one() == "expired"

    # values this version does not know (a newer one's, say) load without failing
    team = await store.teams.create("ops", owner_id=111, chat_id=-1, zone="UTC", now=now)
    assert team is not None
    async with store.engine.begin() as conn:
        await conn.execute(
            update(line_requests).where(line_requests.c.id == request.id).values(result="moved")
        )
        await conn.execute(
            update(line_offers).where(line_offers.c.id == offer_id).values(status="taken")
        )
        await conn.execute(
            update(teams).where(teams.c.id == team.id).values(rotation_kind="monthly")
        )
    unknown = await store.lines.request(request.id)
    assert unknown is not None and unknown.result is None  # no reader asks for an unknown one
    offer = await store.lines.offer(offer_id)
    assert offer is not None and offer.status is OfferStatus.EXPIRED  # neither open nor accepted
    loaded = await store.teams.by_id(team.id)
    assert loaded is not None and loaded.rotation_kind is None  # no rotation, as rotation_of had it
