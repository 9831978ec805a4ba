"""Queries for teams, their members, covers and pages (the on-call side of the registry)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.records import (
    Claim,
    Claimed,
    Duplicate,
    Invite,
    OverQuota,
    Page,
    PageEvent,
    PageEventKind,
    PageStatus,
    RotationKind,
    Swap,
    SwapStatus,
    Team,
    parse_rotation_kind,
)
from bot.storage import leases
from bot.storage.database import Database
from bot.storage.guard import guarded_methods
from bot.storage.rows import record_from
from bot.storage.tables import covers, invites, pages, swaps, team_members, teams

__all__ = ["Keep", "TakeResult", "TeamQueries"]

#: How a Take went: "taken" (this one won), "gone" (taken, expired or past its deadline
#: already, or its team deleted), "blocked" (it would overlap another person's cover).
TakeResult = Literal["taken", "gone", "blocked"]


async def _lock_team(conn: AsyncConnection, team_id: int, now: datetime) -> bool:
    """Lock team ``team_id``'s row for the rest of ``conn``'s transaction (an UPDATE: a row lock
    on PostgreSQL, the database's write lock on SQLite), asking the hand-overs to look again at
    who is on call, and drop its covers over by ``now``; False if the team is gone."""
    locked = await conn.execute(
        update(teams).where(teams.c.id == team_id).values(next_check_at=now)
    )
    if not locked.rowcount:
        return False
    # covers over by now go (nothing reads them; their ids are never reused)
    await conn.execute(delete(covers).where(covers.c.team_id == team_id, covers.c.ends <= now))
    return True


#: How often a page's start or join is tried again when another one slipped in between.
_JOIN_TRIES = 3
#: How often ending a running page is tried again when its escalation saved a step meanwhile.
_END_TRIES = 10


@guarded_methods
class _SwapQueries:
    """Shift swaps (issue 22): mixed into :class:`TeamQueries`."""

    engine: Database
    _dialect: str

    async def create_swap(
        self,
        *,
        team_id: int,
        asked_by: int,
        asked_to: int | None,
        starts: datetime,
        ends: datetime,
        chat_id: int,
        deadline: datetime,
        now: datetime,
    ) -> Swap | None:
        """A new open request, due at ``deadline``; None when the asker has one open for the
        same shift already (decided under the team's row lock: two asks at once open one), or
        the team is gone."""
        async with self.engine.begin() as conn:
            if not await _lock_team(conn, team_id, now):
                return None
            same = await conn.execute(
                select(swaps.c.id).where(
                    swaps.c.team_id == team_id,
                    swaps.c.asked_by == asked_by,
                    swaps.c.starts == starts,
                    swaps.c.status == SwapStatus.OPEN.value,
                )
            )
            if same.first() is not None:
                return None
            result = await conn.execute(
                swaps.insert()
                .values(
                    team_id=team_id,
                    asked_by=asked_by,
                    asked_to=asked_to,
                    starts=starts,
                    ends=ends,
                    status=SwapStatus.OPEN.value,
                    chat_id=chat_id,
                    created_at=now,
                    next_check_at=deadline,
                )
                .returning(*swaps.c)
            )
            return _swap(result.one())

    async def swap(self, swap_id: int) -> Swap | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(swaps).where(swaps.c.id == swap_id))).first()
        return None if row is None else _swap(row)

    async def set_swap_notice(self, swap_id: int, message_id: int | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(swaps).where(swaps.c.id == swap_id).values(notice_message_id=message_id)
            )

    async def take_swap(
        self, swap_id: int, taker: int, *, now: datetime
    ) -> tuple[TakeResult, Swap | None]:
        """``taker`` takes the request: one conditional update (open, before its deadline) decides
        among any number of Takes on any replicas, and in the same transaction the taker becomes
        a cover of the team for exactly that shift (from now, if it is on already), replacing
        the asker's own covers of it. Refused ("blocked") when it would overlap another
        person's cover: a swap never takes a shift from its cover. The team's row is locked
        first, so the Takes (and ``/cover``) of one team are serialised on every database."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(swaps).where(swaps.c.id == swap_id))).first()
            if row is None or row.status != SwapStatus.OPEN.value:
                return "gone", None if row is None else _swap(row)
            if not await _lock_team(conn, row.team_id, now):
                return "gone", _swap(row)  # the team was deleted
            row = (await conn.execute(select(swaps).where(swaps.c.id == swap_id))).one()
            starts, ends = max(now, row.starts), row.ends
            overlapping = and_(
                covers.c.team_id == row.team_id, covers.c.starts < ends, covers.c.ends > starts
            )
            other = await conn.execute(
                select(covers.c.id).where(overlapping, covers.c.member != row.asked_by)
            )
            if other.first() is not None:
                return "blocked", _swap(row)
            taken = await conn.execute(
                update(swaps)
                .where(
                    swaps.c.id == swap_id,
                    swaps.c.status == SwapStatus.OPEN.value,
                    swaps.c.next_check_at > now,
                )
                .values(
                    status=SwapStatus.TAKEN.value,
                    taken_by=taker,
                    next_check_at=None,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            if not taken.rowcount:
                return "gone", _swap(row)
            await conn.execute(delete(covers).where(overlapping))  # the asker's own, if any
            await conn.execute(
                covers.insert().values(
                    team_id=row.team_id,
                    member=taker,
                    starts=starts,
                    ends=ends,
                    created_by=row.asked_by,
                )
            )
            done = (await conn.execute(select(swaps).where(swaps.c.id == swap_id))).one()
        return "taken", _swap(done)

    async def cancel_swap(self, swap_id: int) -> bool:
        """The open request ends, cancelled (one conditional update: False if it was taken,
        expired or cancelled already)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(swaps)
                .where(swaps.c.id == swap_id, swaps.c.status == SwapStatus.OPEN.value)
                .values(
                    status=SwapStatus.CANCELLED.value,
                    next_check_at=None,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        return bool(result.rowcount)

    async def claim_due_swaps(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[Swap]:
        """Lease open requests whose deadline has come."""
        rows = await leases.claim_due(
            self.engine,
            self._dialect,
            swaps,
            owner,
            now,
            lease,
            limit,
            swaps.c.status == SwapStatus.OPEN.value,
        )
        return [_swap(r) for r in rows]

    async def expire_swap(self, swap_id: int, owner: str) -> bool:
        """The request this replica holds expires, unless it was taken meanwhile."""
        return await leases.release(
            self.engine,
            swaps,
            swap_id,
            owner,
            swaps.c.status == SwapStatus.OPEN.value,
            next_check_at=None,
            status=SwapStatus.EXPIRED.value,
        )


@guarded_methods
class TeamQueries(_SwapQueries):
    """``store.teams``: intent-named queries; every method is guarded by the store."""

    def __init__(self, engine: Database, dialect: str) -> None:
        self.engine = engine
        self._dialect = dialect

    # -- teams ---------------------------------------------------------------------------------

    async def create(
        self,
        name: str,
        *,
        owner_id: int,
        chat_id: int,
        zone: str,
        now: datetime,
        thread_id: int | None = None,
    ) -> Team | None:
        """A new team (of forum topic ``thread_id`` of the group, if given); None if the name
        is taken."""
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    teams.insert()
                    .values(
                        name=name,
                        owner_id=owner_id,
                        chat_id=chat_id,
                        zone=zone,
                        created_at=now,
                        thread_id=thread_id,
                    )
                    .returning(*teams.c)
                )
                row = result.one()
        except IntegrityError:
            return None
        return _team(row)

    async def get(self, name: str) -> Team | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(teams).where(teams.c.name == name))).first()
        return None if row is None else _team(row)

    async def by_id(self, team_id: int) -> Team | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(teams).where(teams.c.id == team_id))).first()
        return None if row is None else _team(row)

    async def of_chat(self, chat_id: int) -> list[Team]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(teams).where(teams.c.chat_id == chat_id).order_by(teams.c.name)
                )
            ).all()
        return [_team(r) for r in rows]

    async def delete(self, team_id: int, *, now: datetime) -> None:
        """Delete the team; its running page is due at ``now``, to be ended as pages end (its
        notice edited, its pager told) by whichever replica takes it."""
        async with self.engine.begin() as conn:
            for table, column in (
                (team_members, team_members.c.team_id),
                (covers, covers.c.team_id),
            ):
                await conn.execute(delete(table).where(column == team_id))
            await conn.execute(
                update(pages)
                .where(pages.c.team_id == team_id, pages.c.status == PageStatus.ACTIVE.value)
                .values(next_check_at=now)
            )
            await conn.execute(delete(teams).where(teams.c.id == team_id))

    async def set_rotation(
        self,
        team_id: int,
        *,
        kind: RotationKind,
        hand_over: str,
        weekday: int,
        zone: str,
        anchor: datetime,
        next_check_at: datetime,
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(teams)
                .where(teams.c.id == team_id)
                .values(
                    rotation_kind=kind,
                    hand_over=hand_over,
                    weekday=weekday,
                    zone=zone,
                    anchor=anchor,
                    warned_member=None,
                    next_check_at=next_check_at,
                )
            )

    async def set_zone(self, team_id: int, zone: str) -> None:
        """The time zone of a team without a rotation (a rotation's moves with it:
        :meth:`set_rotation`)."""
        async with self.engine.begin() as conn:
            await conn.execute(update(teams).where(teams.c.id == team_id).values(zone=zone))

    async def set_quiet(
        self,
        team_id: int,
        *,
        start: str | None,
        end: str | None,
        urgent: bool,
        weekend: bool = False,
    ) -> None:
        """The team's quiet hours ("HH:MM" local; None: none), whether "urgent" calls, and
        whether the weekend is quiet all day."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(teams)
                .where(teams.c.id == team_id)
                .values(
                    quiet_start=start, quiet_end=end, quiet_urgent=urgent, quiet_weekend=weekend
                )
            )

    async def set_after_hours(self, team_id: int, other_id: int | None) -> None:
        """The team a page in quiet hours goes to instead (None: none)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(teams).where(teams.c.id == team_id).values(after_hours_team_id=other_id)
            )

    async def schedule(self, team_id: int, next_check_at: datetime | None) -> None:
        """When the team's next hand-over event is due (None: none)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(teams).where(teams.c.id == team_id).values(next_check_at=next_check_at)
            )

    # -- members -------------------------------------------------------------------------------

    async def members(self, team_id: int) -> list[int]:
        """Members in rotation order."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(team_members.c.telegram_id)
                    .where(team_members.c.team_id == team_id)
                    .order_by(team_members.c.position, team_members.c.added_at)
                )
            ).all()
        return [r.telegram_id for r in rows]

    async def add_members(self, team_id: int, telegram_ids: list[int], now: datetime) -> list[int]:
        """Append people at the end of the rotation; the ids that were new."""
        added = []
        async with self.engine.begin() as conn:
            current = {
                r.telegram_id
                for r in await conn.execute(
                    select(team_members.c.telegram_id).where(team_members.c.team_id == team_id)
                )
            }
            last = (
                await conn.execute(
                    select(func.max(team_members.c.position)).where(
                        team_members.c.team_id == team_id
                    )
                )
            ).scalar()
            position = -1 if last is None else int(last)
            for telegram_id in telegram_ids:
                if telegram_id in current:
                    continue
                position += 1
                await conn.execute(
                    team_members.insert().values(
                        team_id=team_id, telegram_id=telegram_id, position=position, added_at=now
                    )
                )
                current.add(telegram_id)
                added.append(telegram_id)
        return added

    async def remove_member(self, team_id: int, telegram_id: int) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(team_members).where(
                    team_members.c.team_id == team_id, team_members.c.telegram_id == telegram_id
                )
            )
        return bool(result.rowcount)

    async def move_member(self, team_id: int, telegram_id: int, position: int) -> bool:
        """Put a member at ``position`` (1-based, clamped) of the rotation order."""
        order = await self.members(team_id)
        if telegram_id not in order:
            return False
        order.remove(telegram_id)
        order.insert(max(0, min(position - 1, len(order))), telegram_id)
        async with self.engine.begin() as conn:
            for index, member in enumerate(order):
                await conn.execute(
                    update(team_members)
                    .where(team_members.c.team_id == team_id, team_members.c.telegram_id == member)
                    .values(position=index)
                )
        return True

    async def of_member(self, telegram_id: int, *, owned: bool = False) -> list[Team]:
        """The teams ``telegram_id`` is in or covers for (with ``owned``: or owns), by name."""
        mine: list[ColumnElement[bool]] = [
            teams.c.id.in_(
                select(team_members.c.team_id).where(team_members.c.telegram_id == telegram_id)
            ),
            teams.c.id.in_(select(covers.c.team_id).where(covers.c.member == telegram_id)),
        ]
        if owned:
            mine.append(teams.c.owner_id == telegram_id)
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(select(teams).where(or_(*mine)).order_by(teams.c.name))
            ).all()
        return [_team(r) for r in rows]

    async def leave_all(self, conn: AsyncConnection, telegram_id: int) -> None:
        """``telegram_id`` leaves every team and cover, in ``conn``'s transaction (the one that
        forgets them: :meth:`Store.forget_user`)."""
        await conn.execute(delete(team_members).where(team_members.c.telegram_id == telegram_id))
        await conn.execute(delete(covers).where(covers.c.member == telegram_id))

    # -- covers --------------------------------------------------------------------------------

    async def covers(
        self, team_id: int, *, now: datetime
    ) -> list[tuple[int, int, datetime, datetime]]:
        """The team's covers not over at ``now`` (id, member, starts, ends), by start; they do
        not overlap."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(covers)
                    .where(covers.c.team_id == team_id, covers.c.ends > now)
                    .order_by(covers.c.starts)
                )
            ).all()
        return [(r.id, r.member, r.starts, r.ends) for r in rows]

    async def set_cover(
        self, team_id: int, *, member: int, starts: datetime, ends: datetime, by: int
    ) -> None:
        """``/cover``: ``member`` covers ``[starts, ends)``, replacing every cover of the team
        that overlaps it (the team's row locked first, as a Take does)."""
        async with self.engine.begin() as conn:
            if not await _lock_team(conn, team_id, starts):
                return
            await conn.execute(
                delete(covers).where(
                    covers.c.team_id == team_id, covers.c.starts < ends, covers.c.ends > starts
                )
            )
            await conn.execute(
                covers.insert().values(
                    team_id=team_id, member=member, starts=starts, ends=ends, created_by=by
                )
            )

    async def end_cover(self, team_id: int, *, now: datetime) -> bool:
        """``/cover NAME off``: the cover on at ``now`` ends (later ones, a swap's, stay)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(covers).where(
                    covers.c.team_id == team_id, covers.c.starts <= now, covers.c.ends > now
                )
            )
        return bool(result.rowcount)

    # -- hand-overs: each team's next event, leased like a call ---------------------------------

    async def claim_due(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[Team]:
        return [
            _team(r)
            for r in await leases.claim_due(
                self.engine, self._dialect, teams, owner, now, lease, limit
            )
        ]

    async def release(
        self,
        team_id: int,
        owner: str,
        *,
        next_check_at: datetime | None,
        announced_member: int | type[Keep] | None = None,
        warned_member: int | type[Keep] | None = None,
    ) -> bool:
        values: dict[str, Any] = {}
        if announced_member is not Keep:
            values["announced_member"] = announced_member
        if warned_member is not Keep:
            values["warned_member"] = warned_member
        return await leases.release(
            self.engine, teams, team_id, owner, next_check_at=next_check_at, **values
        )

    # -- invites -------------------------------------------------------------------------------

    async def create_invite(
        self,
        team_id: int,
        *,
        code_hash: str,
        created_by: int,
        uses: int,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                invites.insert().values(
                    team_id=team_id,
                    code_hash=code_hash,
                    created_by=created_by,
                    uses_left=uses,
                    used=0,
                    expires_at=expires_at,
                    revoked=False,
                    created_at=now,
                )
            )

    async def invites_of(self, team_id: int, *, now: datetime) -> list[Invite]:
        """The live invites of a team (not revoked, not expired, not used up)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(invites)
                    .where(
                        invites.c.team_id == team_id,
                        invites.c.revoked.is_(False),
                        invites.c.expires_at > now,
                        invites.c.uses_left > 0,
                    )
                    .order_by(invites.c.created_at)
                )
            ).all()
        return [_invite(r) for r in rows]

    async def revoke_invites(self, team_id: int, *, now: datetime) -> int:
        """Revoke the live invites of a team; how many there were."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(invites)
                .where(
                    invites.c.team_id == team_id,
                    invites.c.revoked.is_(False),
                    invites.c.expires_at > now,
                    invites.c.uses_left > 0,
                )
                .values(revoked=True)
            )
        return int(result.rowcount)

    async def invite(self, code_hash: str) -> Invite | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(invites).where(invites.c.code_hash == code_hash))
            ).first()
        return None if row is None else _invite(row)

    async def use_invite(self, invite_id: int, *, now: datetime) -> bool:
        """Take one use of a live invite; False if it is spent, expired or revoked meanwhile."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(invites)
                .where(
                    invites.c.id == invite_id,
                    invites.c.revoked.is_(False),
                    invites.c.expires_at > now,
                    invites.c.uses_left > 0,
                )
                .values(uses_left=invites.c.uses_left - 1, used=invites.c.used + 1)
            )
        return bool(result.rowcount)

    # -- pages ---------------------------------------------------------------------------------

    async def claim_page(
        self,
        *,
        team_id: int,
        paged_by: int,
        reason: str | None,
        chat_id: int,
        message_id: int,
        plan: list[int],
        now: datetime,
        quota_check: Any,
        team_name: str | None = None,
    ) -> Claim | Page:
        """Start a page of the team: one page per message, one running page per team.

        A team already being paged is not paged again: the running page is joined (``paged_by``
        and ``reason`` added to its ``joins``) and returned, and nothing is counted. Otherwise
        the new page is counted once against the pager's quotas (``quota_check``: an async
        function of (connection, now) returning an :class:`OverQuota` or None) and claimed. The
        database decides, whichever replica asks: its unique index on the running page of a
        team turns the second of two simultaneous pages into a join.
        """
        joining = PageEvent(
            PageEventKind.JOINED, who=paged_by, reason=reason[:200] if reason else None
        )
        async with self.engine.begin() as conn:
            for _ in range(_JOIN_TRIES):
                taken = await conn.execute(
                    select(pages.c.id).where(
                        pages.c.chat_id == chat_id, pages.c.message_id == message_id
                    )
                )
                if taken.first() is not None:
                    return Duplicate()
                joined = await self._join(conn, team_id, joining)
                if joined is not None:
                    return joined
                over: OverQuota | None = await quota_check(conn, now)
                if over is not None:
                    return over
                try:
                    async with conn.begin_nested():
                        result = await conn.execute(
                            pages.insert()
                            .values(
                                team_id=team_id,
                                team_name=team_name,
                                paged_by=paged_by,
                                reason=reason[:200] if reason else None,
                                chat_id=chat_id,
                                message_id=message_id,
                                status=PageStatus.ACTIVE.value,
                                plan=json.dumps(plan),
                                step=0,
                                attempts=0,
                                log="[]",
                                created_at=now,
                                updated_at=now,
                                next_check_at=now,
                            )
                            .returning(pages.c.id)
                        )
                except IntegrityError:
                    continue  # this message's page, or the team's, was started meanwhile
                return Claimed(int(result.scalar_one()))
        return Duplicate()

    async def _join(self, conn: Any, team_id: int, joining: PageEvent) -> Page | None:
        """Add ``joining`` to the team's running page; the page as it is then, or None if the
        team has none running. Conditional on its joins as read, so that no join is lost."""
        for _ in range(_JOIN_TRIES):
            row = (
                await conn.execute(
                    select(pages).where(
                        pages.c.team_id == team_id, pages.c.status == PageStatus.ACTIVE.value
                    )
                )
            ).first()
            if row is None:
                return None
            joins = [*_page_log_of(row.joins or "[]"), joining]
            as_read = pages.c.joins.is_(None) if row.joins is None else pages.c.joins == row.joins
            changed = await conn.execute(
                update(pages)
                .where(pages.c.id == row.id, pages.c.status == PageStatus.ACTIVE.value, as_read)
                .values(joins=_page_log_json(joins))
            )
            if changed.rowcount:
                return _page(row, joins=joins)
        return None

    async def page(self, page_id: int) -> Page | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(pages).where(pages.c.id == page_id))).first()
        return None if row is None else _page(row)

    async def claim_due_pages(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[Page]:
        active = pages.c.status == PageStatus.ACTIVE.value
        return [
            _page(r)
            for r in await leases.claim_due(
                self.engine, self._dialect, pages, owner, now, lease, limit, active
            )
        ]

    async def renew_page(
        self, page_id: int, owner: str, *, step: int, attempts: int, until: datetime
    ) -> bool:
        """Extend the lease before a paid step; False if the page moved on without us."""
        return await leases.renew(
            self.engine,
            pages,
            page_id,
            owner,
            until,
            pages.c.step == step,
            pages.c.attempts == attempts,
            pages.c.status == PageStatus.ACTIVE.value,
        )

    async def save_page(
        self, page_id: int, owner: str, *, next_check_at: datetime | None, **values: Any
    ) -> bool:
        """Write the running page's progress and release it; False if ``owner`` lost the lease
        or the page ended meanwhile (acknowledged by a press)."""
        if "log" in values:
            values["log"] = _page_log_json(values["log"])
        if "status" in values:
            values["status"] = PageStatus(values["status"]).value
        return await leases.release(
            self.engine,
            pages,
            page_id,
            owner,
            pages.c.status == PageStatus.ACTIVE.value,
            next_check_at=next_check_at,
            **values,
        )

    async def end_running_page(
        self, page_id: int, *, status: PageStatus, answered_by: int | None, event: PageEvent
    ) -> Page | None:
        """End a running page now, whoever holds its lease (a press of "I'm on it"), ``event``
        added to its log: the page as it ended, or None if it is not running (any more). Its
        lease holder's next write then finds it over (see :meth:`save_page`)."""
        for _ in range(_END_TRIES):
            async with self.engine.begin() as conn:
                row = (await conn.execute(select(pages).where(pages.c.id == page_id))).first()
                if row is None or row.status != PageStatus.ACTIVE.value:
                    return None
                log = [*_page_log_of(row.log), event]
                values: dict[str, Any] = {
                    "status": PageStatus(status).value,
                    "answered_by": answered_by,
                    "log": _page_log_json(log),
                    "current_call_id": None,
                    "next_check_at": None,
                    "lease_owner": None,
                    "lease_until": None,
                }
                result = await conn.execute(
                    update(pages)
                    .where(
                        pages.c.id == page_id,
                        pages.c.status == PageStatus.ACTIVE.value,
                        pages.c.log == row.log,  # as read: a step saved meanwhile is kept
                    )
                    .values(**values)
                )
                if result.rowcount:
                    return replace(
                        _page(row),
                        status=PageStatus(status),
                        answered_by=answered_by,
                        log=log,
                        current_call_id=None,
                    )
        return None

    async def set_page_notice(
        self, page_id: int, notice_message_id: int | None, *, only_if_unset: bool = False
    ) -> bool:
        """Record the page's notice; ``only_if_unset``: unless one is recorded already (a
        notice posted anew). Whether it was recorded."""
        where = [pages.c.id == page_id]
        if only_if_unset:
            where.append(pages.c.notice_message_id.is_(None))
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(pages).where(*where).values(notice_message_id=notice_message_id)
            )
        return bool(result.rowcount)


class Keep:
    """Leave a column as it is (in :meth:`TeamQueries.release`)."""


def _team(row: Any) -> Team:
    # a kind this version does not know is no rotation (as it always was to the hand-overs)
    return record_from(Team, row, rotation_kind=parse_rotation_kind(row.rotation_kind))


def _swap(row: Any) -> Swap:
    try:
        status = SwapStatus(row.status)
    except ValueError:  # written by a newer version: over, as far as this one knows
        status = SwapStatus.EXPIRED
    return record_from(Swap, row, status=status)


def _invite(row: Any) -> Invite:
    return record_from(Invite, row)


def _page(row: Any, *, joins: list[PageEvent] | None = None) -> Page:
    return record_from(
        Page,
        row,
        status=_page_status(row.status),
        plan=[int(x) for x in json.loads(row.plan)],
        log=_page_log_of(row.log),
        joins=_page_log_of(row.joins or "[]") if joins is None else joins,
    )


def _page_status(text: str) -> PageStatus:
    """A page's stored status; one a newer version wrote and this one does not know is over."""
    try:
        return PageStatus(text)
    except ValueError:
        return PageStatus.STOPPED


def _page_log_json(log: list[PageEvent]) -> str:
    """A page's log as stored in ``pages.log``: a JSON list of its entries' objects."""
    return json.dumps([event.to_json() for event in log], ensure_ascii=False)


def _page_log_of(text: str) -> list[PageEvent]:
    """A page's log as stored (by this version or an older or newer one)."""
    return [PageEvent.from_json(entry) for entry in json.loads(text)]
