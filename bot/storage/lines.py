"""Queries for support lines: the lines, newcomers' requests and the offers made to members."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.core.records import (
    CallStatus,
    Line,
    LineOffer,
    LineRequest,
    LineStatus,
    OfferStatus,
    RequestResult,
)
from bot.storage import leases
from bot.storage.database import Database
from bot.storage.guard import guarded_methods
from bot.storage.rows import record_from
from bot.storage.tables import calls, line_offers, line_requests, lines

__all__ = ["LineQueries"]

_EnumT = TypeVar("_EnumT", bound=StrEnum)
_DefaultT = TypeVar("_DefaultT")

#: Calls that may be going on: a member in one of these is busy.
_LIVE_CALLS = [
    CallStatus.PENDING.value,
    CallStatus.CREATED.value,
    CallStatus.UNKNOWN.value,
    CallStatus.RINGING.value,
]
#: Open requests that still wait for someone: the queue, and what a place in it counts.
_QUEUED = [LineStatus.WAITING.value, LineStatus.OFFERING.value, LineStatus.CALLBACK.value]
#: A call nobody follows (its end will never be known) stops counting as going on after this.
_UNSURE = timedelta(seconds=90)


class _Lost(Exception):
    """Roll the transaction back: someone else got there first."""


@guarded_methods
class LineQueries:
    """``store.lines``: intent-named queries; every method is guarded by the store."""

    def __init__(self, engine: Database, dialect: str) -> None:
        self.engine = engine
        self._dialect = dialect

    # -- lines ---------------------------------------------------------------------------------

    async def get(self, team_id: int) -> Line | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(lines).where(lines.c.team_id == team_id))).first()
        return None if row is None else Line(row.team_id, row.enabled, row.hours)

    async def set_line(
        self, team_id: int, *, enabled: bool, hours: str | None, changed_by: int, now: datetime
    ) -> None:
        """Open (with its hours) or close a line; closing keeps the hours it had."""
        values: dict[str, Any] = {"enabled": enabled, "changed_by": changed_by, "changed_at": now}
        if enabled:
            values["hours"] = hours
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(lines).where(lines.c.team_id == team_id).values(**values)
            )
            if not changed.rowcount:
                await conn.execute(
                    lines.insert().values(team_id=team_id, **{"hours": hours, **values})
                )

    # -- requests ------------------------------------------------------------------------------

    async def open_request(self, team_id: int, newcomer_id: int) -> LineRequest | None:
        found = await self._requests(
            line_requests.c.team_id == team_id,
            line_requests.c.newcomer_id == newcomer_id,
            line_requests.c.open_key.is_not(None),
        )
        return found[0] if found else None

    async def create_request(
        self,
        team_id: int,
        newcomer_id: int,
        *,
        status: LineStatus,
        now: datetime,
        next_check_at: datetime | None,
    ) -> LineRequest | None:
        """A new open request; None when the newcomer already holds one for this line."""
        try:
            async with self.engine.begin() as conn:
                row = (
                    await conn.execute(
                        line_requests.insert()
                        .values(
                            team_id=team_id,
                            newcomer_id=newcomer_id,
                            status=status.value,
                            open_key=1,
                            tried="[]",
                            created_at=now,
                            next_check_at=next_check_at,
                        )
                        .returning(*line_requests.c)
                    )
                ).one()
        except IntegrityError:
            return None
        return _request(row)

    async def request(self, request_id: int) -> LineRequest | None:
        found = await self._requests(line_requests.c.id == request_id)
        return found[0] if found else None

    async def held_by(self, newcomer_id: int) -> list[LineRequest]:
        """The newcomer's requests waiting for their number."""
        return await self._requests(
            line_requests.c.newcomer_id == newcomer_id,
            line_requests.c.status == LineStatus.HELD.value,
        )

    async def claim_due(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[LineRequest]:
        rows = await leases.claim_due(
            self.engine, self._dialect, line_requests, owner, now, lease, limit
        )
        return sorted((_request(r) for r in rows), key=lambda r: r.id)  # first come, first served

    async def save(
        self,
        request_id: int,
        owner: str | None,
        *,
        next_check_at: datetime | None,
        expect: tuple[LineStatus, ...] | None = None,
        **values: Any,
    ) -> bool:
        """Write a request's progress and release its lease; False if ``owner`` lost it (or,
        with ``expect``, its status is no longer one of those).

        ``owner=None``: a change outside the worker (a press), made only if no replica holds
        the request now.
        """
        conditions = []
        if expect is not None:
            conditions.append(line_requests.c.status.in_([s.value for s in expect]))
        return await leases.release(
            self.engine,
            line_requests,
            request_id,
            owner,
            *conditions,
            next_check_at=next_check_at,
            **_columns(values),
        )

    async def renew(self, request_id: int, owner: str, *, until: datetime) -> bool:
        """Extend ``owner``'s lease before slow work; False if it was lost."""
        return await leases.renew(self.engine, line_requests, request_id, owner, until)

    async def end_all_of(self, newcomer_id: int, *, now: datetime) -> None:
        """``/forget`` (or ``/deny``): the person's open requests end, their offers with them."""
        mine = select(line_requests.c.id).where(
            line_requests.c.newcomer_id == newcomer_id, line_requests.c.open_key.is_not(None)
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                update(line_offers)
                .where(line_offers.c.request_id.in_(mine.scalar_subquery()))
                .where(line_offers.c.status == OfferStatus.OPEN.value)
                .values(status=OfferStatus.EXPIRED.value)
            )
            await conn.execute(
                update(line_requests)
                .where(
                    line_requests.c.newcomer_id == newcomer_id,
                    line_requests.c.open_key.is_not(None),
                )
                .values(
                    status=LineStatus.DONE.value,
                    open_key=None,
                    result=RequestResult.FORGOTTEN.value,
                    ended_at=now,
                    next_check_at=None,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def change(
        self,
        request_id: int,
        *,
        expect: tuple[LineStatus, ...],
        now: datetime | None = None,
        **values: Any,
    ) -> bool:
        """Change a request only while its status is one of ``expect`` (one winner per press),
        and, with ``now``, only while no replica holds it (a lapsed lease holds nothing)."""
        values = _columns(values)
        conditions = [
            line_requests.c.id == request_id,
            line_requests.c.status.in_([s.value for s in expect]),
        ]
        if now is not None:
            conditions.append(
                or_(line_requests.c.lease_owner.is_(None), line_requests.c.lease_until < now)
            )
        async with self.engine.begin() as conn:
            result = await conn.execute(update(line_requests).where(*conditions).values(**values))
        return bool(result.rowcount)

    async def older_waiting(self, team_id: int, before_id: int) -> list[LineRequest]:
        """The line's requests ahead of ``before_id`` still waiting for a free member."""
        return await self._requests(
            line_requests.c.team_id == team_id,
            line_requests.c.id < before_id,
            line_requests.c.status == LineStatus.WAITING.value,
        )

    async def queue(self, team_id: int) -> list[LineRequest]:
        """Open requests of the line that have no call yet, first come first."""
        return await self._requests(
            line_requests.c.team_id == team_id, line_requests.c.status.in_(_QUEUED)
        )

    async def calls_since(self, newcomer_id: int, since: datetime) -> list[datetime]:
        """When the newcomer's line calls were accepted, since ``since`` (for the hourly cap)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(line_requests.c.accepted_at).where(
                        line_requests.c.newcomer_id == newcomer_id,
                        line_requests.c.accepted_at > since,
                    )
                )
            ).all()
        return sorted(r.accepted_at for r in rows)

    async def finished_since(self, since: datetime) -> list[LineRequest]:
        """Requests made since ``since`` (for /stats)."""
        return await self._requests(line_requests.c.created_at > since)

    async def _requests(self, *conditions: Any) -> list[LineRequest]:
        """The requests that meet ``conditions``, oldest first."""
        query = select(line_requests).where(*conditions).order_by(line_requests.c.id)
        async with self.engine.connect() as conn:
            return [_request(row) for row in (await conn.execute(query)).all()]

    async def offer_to(
        self,
        request_id: int,
        owner: str,
        member_id: int,
        *,
        tried: list[int],
        now: datetime,
        expires_at: datetime,
    ) -> int | Literal["busy", "lost"]:
        """Make the request's next offer, to ``member_id``: the offer and the request (now
        offering it) in one transaction, before the message goes out, so an Accept pressed the
        moment it arrives finds both. ``owner`` keeps the lease (it sends the message next).

        The offer's id; "busy" when the member holds an open offer already (made by any
        replica); "lost" when ``owner`` no longer holds the request.
        """
        try:
            async with self.engine.begin() as conn:
                # an offer left open past its time (its replica went away) holds no one
                await conn.execute(
                    update(line_offers)
                    .where(
                        line_offers.c.member_id == member_id,
                        line_offers.c.status == OfferStatus.OPEN.value,
                        line_offers.c.expires_at <= now,
                    )
                    .values(status=OfferStatus.EXPIRED.value)
                )
                offer_id = (
                    await conn.execute(
                        line_offers.insert()
                        .values(
                            request_id=request_id,
                            member_id=member_id,
                            status=OfferStatus.OPEN.value,
                            created_at=now,
                            expires_at=expires_at,
                        )
                        .returning(line_offers.c.id)
                    )
                ).scalar_one()
                moved = await conn.execute(
                    update(line_requests)
                    .where(*leases.held(line_requests, request_id, owner))
                    .values(
                        status=LineStatus.OFFERING.value,
                        current_offer_id=offer_id,
                        tried=json.dumps([*tried, member_id]),
                        next_check_at=expires_at,
                    )
                )
                if not moved.rowcount:
                    raise _Lost
        except IntegrityError:
            return "busy"
        except _Lost:
            return "lost"
        return int(offer_id)

    async def set_offer_message(
        self, offer_id: int, message_id: int | None, *, expires_at: datetime
    ) -> None:
        """The offer's message arrived: its window runs from now."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(line_offers)
                .where(line_offers.c.id == offer_id)
                .values(message_id=message_id, expires_at=expires_at)
            )

    async def offer(self, offer_id: int) -> LineOffer | None:
        found = await self._offers(line_offers.c.id == offer_id)
        return found[0] if found else None

    async def open_offers_for(self, newcomer_id: int) -> list[LineOffer]:
        """The offers still open of the newcomer's requests (their members' Accept buttons)."""
        mine = select(line_requests.c.id).where(line_requests.c.newcomer_id == newcomer_id)
        return await self._offers(
            line_offers.c.request_id.in_(mine.scalar_subquery()),
            line_offers.c.status == OfferStatus.OPEN.value,
        )

    async def offers_of(self, request_id: int) -> list[LineOffer]:
        return await self._offers(line_offers.c.request_id == request_id)

    async def _offers(self, *conditions: Any) -> list[LineOffer]:
        query = select(line_offers).where(*conditions).order_by(line_offers.c.id)
        async with self.engine.connect() as conn:
            return [_offer(row) for row in (await conn.execute(query)).all()]

    async def end_offer(self, offer_id: int, status: OfferStatus) -> bool:
        """An open offer expires (or is withdrawn); False if it was accepted meanwhile."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(line_offers)
                .where(line_offers.c.id == offer_id, line_offers.c.status == OfferStatus.OPEN.value)
                .values(status=OfferStatus(status).value)
            )
        return bool(result.rowcount)

    async def accept(
        self,
        offer_id: int,
        member_id: int,
        *,
        now: datetime,
        grace: timedelta,
        hourly_cap: int = 0,
    ) -> LineRequest | None:
        """Take the call: the offer must be open, unexpired and the request's current one, and
        its line on (checked in the same update: turning a line off wins over a late Accept).

        Both rows change in one transaction, so two presses (the same member twice, or two
        members at the same instant) make one winner; None for every other press. With
        ``hourly_cap``, the newcomer's line calls accepted in the last hour are counted in the
        same transaction (under a lock on the newcomer on PostgreSQL): two lines cannot both
        give them a call past the cap.
        """
        try:
            async with self.engine.begin() as conn:
                offer = await conn.execute(
                    update(line_offers)
                    .where(
                        line_offers.c.id == offer_id,
                        line_offers.c.member_id == member_id,
                        line_offers.c.status == OfferStatus.OPEN.value,
                        line_offers.c.expires_at > now,
                    )
                    .values(status=OfferStatus.ACCEPTED.value)
                    .returning(line_offers.c.request_id)
                )
                request_id = offer.scalar_one_or_none()
                if request_id is None:
                    raise _Lost
                if hourly_cap > 0 and await self._over_cap(conn, request_id, hourly_cap, now):
                    raise _Lost
                taken = await conn.execute(
                    update(line_requests)
                    .where(
                        line_requests.c.id == request_id,
                        line_requests.c.status == LineStatus.OFFERING.value,
                        line_requests.c.current_offer_id == offer_id,
                        line_requests.c.team_id.in_(
                            select(lines.c.team_id).where(lines.c.enabled.is_(True))
                        ),
                    )
                    .values(
                        status=LineStatus.CALLING.value,
                        accepted_by=member_id,
                        accepted_at=now,
                        next_check_at=now + grace,
                        lease_owner=None,
                        lease_until=None,
                    )
                    .returning(*line_requests.c)
                )
                row = taken.first()
                if row is None:
                    raise _Lost
        except _Lost:
            return None
        return _request(row)

    async def _over_cap(self, conn: Any, request_id: int, cap: int, now: datetime) -> bool:
        newcomer = (
            await conn.execute(
                select(line_requests.c.newcomer_id).where(line_requests.c.id == request_id)
            )
        ).scalar_one()
        if self._dialect == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": newcomer})
        taken = await conn.execute(
            select(func.count()).where(
                line_requests.c.newcomer_id == newcomer,
                line_requests.c.accepted_at > now - timedelta(hours=1),
            )
        )
        return int(taken.scalar_one()) >= cap

    async def busy(self, members: list[int], *, now: datetime, since: datetime) -> set[int]:
        """Members holding an open offer, taking one (accepted, its call being placed), or in
        a call that may be going on: being followed, ringing, or placed moments ago."""
        if not members:
            return set()
        async with self.engine.connect() as conn:
            offered = await conn.execute(
                select(line_offers.c.member_id)
                .select_from(
                    line_offers.join(line_requests, line_requests.c.id == line_offers.c.request_id)
                )
                .where(
                    line_offers.c.member_id.in_(members),
                    or_(
                        and_(
                            line_offers.c.status == OfferStatus.OPEN.value,
                            line_offers.c.expires_at > now,
                        ),
                        and_(
                            line_offers.c.status == OfferStatus.ACCEPTED.value,
                            line_requests.c.status == LineStatus.CALLING.value,
                        ),
                    ),
                )
            )
            busy = {int(r.member_id) for r in offered}
            talking = await conn.execute(
                select(calls.c.caller_id, calls.c.callee_id).where(
                    or_(calls.c.caller_id.in_(members), calls.c.callee_id.in_(members)),
                    calls.c.status.in_(_LIVE_CALLS),
                    calls.c.outcome.is_(None),
                    calls.c.created_at > since,
                    or_(calls.c.next_check_at.is_not(None), calls.c.created_at > now - _UNSURE),
                )
            )
            for row in talking:
                busy |= {int(row.caller_id), int(row.callee_id)} & set(members)
        return busy

    async def count_open(self, team_id: int, before_id: int) -> int:
        """Open requests of the line ahead of ``before_id`` that still wait for someone."""
        async with self.engine.connect() as conn:
            count = await conn.execute(
                select(func.count()).where(
                    line_requests.c.team_id == team_id,
                    line_requests.c.id < before_id,
                    line_requests.c.status.in_(_QUEUED),
                )
            )
            return int(count.scalar_one())


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Values as stored: statuses and results by value, ``tried`` as JSON, and a request that
    is over frees its place (``open_key``)."""
    out = dict(values)
    if "tried" in out:
        out["tried"] = json.dumps(out["tried"])
    if out.get("result") is not None:
        out["result"] = RequestResult(out["result"]).value
    if "status" in out:
        status = LineStatus(out["status"])
        out["status"] = status.value
        if not status.is_open:
            out["open_key"] = None
    return out


def _request(row: Any) -> LineRequest:
    return record_from(
        LineRequest,
        row,
        status=LineStatus(row.status),
        tried=[int(m) for m in json.loads(row.tried or "[]")],
        result=_known(RequestResult, row.result, None),
    )


def _offer(row: Any) -> LineOffer:
    return record_from(LineOffer, row, status=_known(OfferStatus, row.status, OfferStatus.EXPIRED))


def _known(kind: type[_EnumT], value: str | None, otherwise: _DefaultT) -> _EnumT | _DefaultT:
    """A stored value as ``kind``; ``otherwise`` for none, or one this version does not know
    (written by a newer one, say): only known values are ever asked for."""
    try:
        return otherwise if value is None else kind(value)
    except ValueError:
        return otherwise
