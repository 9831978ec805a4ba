"""The queries: intent-named methods over one database, SQLite or PostgreSQL by URL.

Most methods are coroutines over SQLAlchemy's async engine; those in front of every update and
every ``/call`` are plain functions run as one unit of work (:class:`~bot.storage.database
.Database`'s ``read`` and ``write``), cheaper on SQLite and the same on PostgreSQL.

Every method turns a database that cannot be reached, is locked, is full or is read-only into
:class:`StoreUnavailable`, so callers handle one exception and never see SQLAlchemy's. Timeouts
are short (5 s to connect or to wait for a lock) so a command is answered within seconds even
when the database is gone. The schema is managed by Alembic (``bot/migrations``); :meth:`Store.open`
upgrades it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    bindparam,
    case,
    create_engine,
    delete,
    event,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import (
    IntegrityError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.core.clock import utcnow
from bot.core.people import UserProfile, UserRecord
from bot.core.records import (
    AccessRule,
    CallOutcome,
    CallRecord,
    CallStatus,
    Claim,
    Claimed,
    Duplicate,
    LineStatus,
    OverQuota,
    Quota,
    RuleKind,
)
from bot.storage.database import Database
from bot.storage.guard import StoreUnavailable, guarded
from bot.storage.leases import ANNOUNCING, claim_due, held, release
from bot.storage.lines import LineQueries
from bot.storage.rows import record_from
from bot.storage.tables import (
    ERROR_MAX,
    LANGUAGE_MAX,
    NAME_MAX,
    USERNAME_MAX,
    access_notices,
    access_rules,
    calls,
    endpoint_registrations,
    heartbeat,
    join_handles,
    line_requests,
    pages,
    processed_updates,
    replicas,
    swaps,
    teams,
    uncallable_people,
    users,
)
from bot.storage.teams import TeamQueries

__all__ = ["Store", "StoreUnavailable", "utcnow"]

logger = logging.getLogger(__name__)

#: How long processed update ids are remembered (Telegram redelivers within hours, not days).
UPDATE_MEMORY = timedelta(days=2)
#: When a closed call's outcome is announced again if its announcement never finished: longer
#: than an announcement can take (four messages, each of which may wait out a flood limit).
ANNOUNCE_WITHIN = timedelta(minutes=5)
#: Seconds to connect, or to wait for another writer's lock, before calling the store unavailable.
STORE_TIMEOUT = 5
#: A support-line request waiting for a member (for the metrics).
_WAITING_LINE = (LineStatus.WAITING, LineStatus.OFFERING, LineStatus.CALLBACK)
_QUOTA_STATUSES = [s.value for s in CallStatus if s.counts_against_quota]
#: What :meth:`Store.finish_call` may set besides status, call id and error.
_CALL_DETAILS = frozenset(
    {
        "caller_delivery",
        "callee_delivery",
        "failure",
        "next_check_at",
        "notice_message_id",
        "caller_message_id",
        "callee_message_id",
    }
)
_MIGRATION_LOCK = 7_243_001  # pg_advisory_xact_lock key: one replica migrates at a time
_LOCK_STRIPES = 64


class Store:
    """Intent-named queries over one async engine."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        username_prefix: str = "tg",
        name_by_phone: Callable[[str], str] | None = None,
        timeout: float = STORE_TIMEOUT,
        sync_engine: Engine | None = None,
    ) -> None:
        #: Transactions (``begin``, ``write``) and reads (``connect``, ``read``); SQLite's
        #: writers take turns.
        self.engine = Database(engine, wait=timeout, sync_engine=sync_engine)
        self.username_prefix = username_prefix
        #: KAVENEGAR_USERNAME_SOURCE=phone: people with a verified number are called by the
        #: username this names (the onboarding feature's rule, handed in: storage knows no phones).
        self.name_by_phone = name_by_phone
        self._dialect = engine.dialect.name
        self._caller_locks = [asyncio.Lock() for _ in range(_LOCK_STRIPES)]
        #: Teams, members, covers and pages.
        self.teams = TeamQueries(self.engine, self._dialect)
        #: Support lines, newcomers' requests and the offers to members.
        self.lines = LineQueries(self.engine, self._dialect)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        username_prefix: str = "tg",
        name_by_phone: Callable[[str], str] | None = None,
        timeout: float = STORE_TIMEOUT,
    ) -> Store:
        """Connect, creating an SQLite file's folder if needed, and make sure the schema exists.

        ``timeout``: seconds to connect or to wait for a lock before :class:`StoreUnavailable`.
        """
        parsed = make_url(url)
        options: dict[str, Any] = {}
        sqlite_file = parsed.get_backend_name() == "sqlite" and not _in_memory(parsed)
        if parsed.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": timeout}
            if sqlite_file:
                Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
                options["pool_timeout"] = timeout  # a free connection, within the same timeout
            else:  # one connection holds the database: the pool hands out that one
                options["poolclass"] = StaticPool
        else:
            options.update(
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                pool_timeout=timeout,
                connect_args={"timeout": timeout, "command_timeout": 2 * timeout},
            )
        engine = create_async_engine(url, **options)
        sync_engine = None
        if parsed.get_backend_name() == "sqlite":
            busy_ms = int(timeout * 1000)
            event.listen(
                engine.sync_engine, "connect", lambda conn, _: _sqlite_pragmas(conn, busy_ms)
            )
            if sqlite_file:
                # the same file through the standard library's driver (see Database.write)
                sync_engine = create_engine(
                    parsed.set(drivername="sqlite+pysqlite"),
                    connect_args={"timeout": timeout, "check_same_thread": False},
                    pool_timeout=timeout,
                )
                event.listen(sync_engine, "connect", lambda conn, _: _sqlite_pragmas(conn, busy_ms))
        store = cls(
            engine,
            username_prefix=username_prefix,
            name_by_phone=name_by_phone,
            timeout=timeout,
            sync_engine=sync_engine,
        )
        await store.create_schema()
        return store

    @staticmethod
    async def schema_of(
        url: str, *, timeout: float = STORE_TIMEOUT
    ) -> tuple[str | None, str | None]:
        """(the revision the database at ``url`` is at, this release's), without changing it
        (``--check-config --online``); raises :class:`StoreUnavailable` when it does not answer.
        An SQLite file that does not exist yet is at None (the bot creates it when it starts)."""
        from bot.storage.migrations import current_revision, head_revision

        parsed = make_url(url)
        sqlite_file = parsed.get_backend_name() == "sqlite" and not _in_memory(parsed)
        if sqlite_file and not await asyncio.to_thread(Path(str(parsed.database)).exists):
            return None, head_revision()
        args = {"timeout": timeout}
        engine = create_async_engine(url, connect_args=args)
        try:
            async with engine.connect() as conn:
                revision = await conn.run_sync(current_revision)
        except Exception as exc:
            raise StoreUnavailable(f"the database does not answer ({type(exc).__name__})") from None
        finally:
            await engine.dispose()
        return revision, head_revision()

    @guarded
    async def create_schema(self) -> None:
        """Apply every pending migration; replicas starting together take turns (PostgreSQL)."""
        from bot.storage.migrations import upgrade

        async with self.engine.begin() as conn:
            if self._dialect == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
            await conn.run_sync(upgrade)

    async def health(self) -> str | None:
        """None when healthy; else one word: ``unreachable``, ``schema`` or ``readonly``.

        Healthy means the database answers, its schema is at this release's revision, and it
        takes a write (a one-row heartbeat), so a full disk or a dropped table is not "ok".
        """
        from bot.storage.migrations import current_revision, head_revision

        try:
            async with self.engine.connect() as conn:
                revision = await conn.run_sync(current_revision)
        except Exception:
            logger.warning("health check: the database does not answer", exc_info=True)
            return "unreachable"
        if revision != head_revision():
            logger.warning("health check: schema at %s, expected %s", revision, head_revision())
            return "schema"
        try:
            async with self.engine.begin() as conn:
                await conn.execute(self._upsert(heartbeat, ["id"], id=1, beat_at=utcnow()))
        except Exception:
            logger.warning("health check: the database refuses writes", exc_info=True)
            return "readonly"
        return None

    @guarded
    async def workload(self) -> tuple[int, int]:
        """(calls being followed, support-line requests waiting for a member), for the metrics."""
        followed = (
            select(func.count())
            .select_from(calls)
            .where(calls.c.outcome.is_(None), calls.c.next_check_at.is_not(None))
        )
        waiting = (
            select(func.count())
            .select_from(line_requests)
            .where(
                line_requests.c.status.in_(
                    [
                        s.value
                        for s in (LineStatus.WAITING, LineStatus.OFFERING, LineStatus.CALLBACK)
                    ]
                )
            )
        )
        async with self.engine.connect() as conn:
            return int((await conn.execute(followed)).scalar_one()), int(
                (await conn.execute(waiting)).scalar_one()
            )

    @guarded
    async def replica_beat(self, owner: str) -> dict[str, int]:
        """Replica ``owner`` is alive: one more on its counter. Every replica's counter."""
        now = utcnow()
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(replicas)
        beat = insert.values(owner=owner, beat=1, seen_at=now).on_conflict_do_update(
            index_elements=[replicas.c.owner],
            set_={"beat": replicas.c.beat + 1, "seen_at": now},
        )

        def work(conn: Connection) -> dict[str, int]:
            conn.execute(beat)
            rows = conn.execute(select(replicas.c.owner, replicas.c.beat)).all()
            return {row.owner: row.beat for row in rows}

        return await self.engine.write(work)

    @guarded
    async def forget_replica(self, owner: str, beat: int) -> None:
        """Delete ``owner``'s row if its counter is still ``beat`` (it did not come back)."""
        await self.engine.write(
            lambda conn: conn.execute(
                delete(replicas).where(replicas.c.owner == owner, replicas.c.beat == beat)
            )
        )

    @guarded
    async def replica_left(self, owner: str) -> None:
        """Replica ``owner`` stops: the others take its share back at their next census."""
        await self.engine.write(
            lambda conn: conn.execute(delete(replicas).where(replicas.c.owner == owner))
        )

    async def ping(self) -> bool:
        """Whether the database is healthy (see :meth:`health`)."""
        return await self.health() is None

    async def close(self) -> None:
        await self.engine.dispose()

    def _upsert(self, table: Any, keys: list[str], **values: Any) -> Any:
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)
        changed = {k: v for k, v in values.items() if k not in keys}
        return insert.values(**values).on_conflict_do_update(
            index_elements=[table.c[k] for k in keys], set_=changed
        )

    # -- people --------------------------------------------------------------------------------

    def _user(self, row: Any) -> UserRecord:
        username = row.kavenegar_username
        if self.name_by_phone is not None and row.phone:
            username = self.name_by_phone(row.phone)
        return UserRecord(
            profile=UserProfile.from_attributes(row, telegram_id=row.telegram_id),
            kavenegar_username=username,
            platform=row.platform,
            dm_open=row.dm_open,
            started=row.started,
            dnd=row.dnd,
            uncallable=bool(row.uncallable),
            phone=row.phone,
        )

    @staticmethod
    def is_current(record: UserRecord, profile: UserProfile, *, dm_open: bool | None) -> bool:
        """The record already says what a refresh with ``profile`` would write."""
        same = _profile_values(profile) == _profile_values(record.profile)
        return same and dm_open in (None, record.dm_open)

    def kavenegar_username_for(self, telegram_id: int) -> str:
        """Stable, unique, at most 50 characters: the prefix (<= 30) and the numeric id."""
        return f"{self.username_prefix}{telegram_id}"

    @guarded
    async def upsert_user(
        self, profile: UserProfile, *, dm_open: bool | None = None, started: bool | None = None
    ) -> UserRecord:
        """Refresh what we know of a user, creating them (and their Kavenegar name) if new.

        A username moves with its owner: whoever held it before loses it, so ``@name`` lookups
        stay unambiguous. ``started=True`` records that they pressed Start (consent to calls).
        """

        def work(conn: Connection) -> Any:
            self._refresh_user(conn, profile, dm_open=dm_open, started=started)
            return conn.execute(_user_query(users.c.telegram_id == profile.telegram_id)).one()

        return self._user(await self.engine.write(work))

    def _refresh_user(
        self,
        conn: Connection,
        profile: UserProfile,
        *,
        dm_open: bool | None = None,
        started: bool | None = None,
    ) -> None:
        """:meth:`upsert_user`'s writes, inside the caller's transaction."""
        now = utcnow()
        values = _profile_values(profile)
        username = values["username"]
        values["updated_at"] = now
        if dm_open is not None:
            values["dm_open"] = dm_open
        if started is not None:
            values["started"] = started
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(users)
        statement = insert.values(
            telegram_id=profile.telegram_id,
            kavenegar_username=self.kavenegar_username_for(profile.telegram_id),
            created_at=now,
            **{"dm_open": False, "started": False, **values},
        ).on_conflict_do_update(index_elements=[users.c.telegram_id], set_=values)
        if username:
            conn.execute(
                update(users)
                .where(users.c.username == username)
                .where(users.c.telegram_id != profile.telegram_id)
                .values(username=None)
            )
        conn.execute(statement)

    @guarded
    async def get_user(self, telegram_id: int) -> UserRecord | None:
        row = await self.engine.read(
            lambda conn: conn.execute(_user_query(users.c.telegram_id == telegram_id)).first()
        )
        return None if row is None else self._user(row)

    @guarded
    async def caller_and_callee(
        self, caller_id: int, *, callee_id: int | None, callee_username: str | None
    ) -> tuple[UserRecord | None, UserRecord | None]:
        """Both people of a ``/call`` in one query: the callee by id or by ``@name``."""
        name = callee_username.removeprefix("@").lower() if callee_username else None
        # one prebuilt statement: a missing callee id or name is a NULL that matches nobody
        wanted = {"caller_id": caller_id, "callee_id": callee_id, "name": name or None}
        rows = await self.engine.read(lambda conn: conn.execute(_PEOPLE_OF_A_CALL, wanted).all())
        people = [self._user(row) for row in rows]
        caller = next((p for p in people if p.telegram_id == caller_id), None)
        callee = next(
            (
                p
                for p in people
                if (callee_id is not None and p.telegram_id == callee_id)
                or (name is not None and p.profile.username == name)
            ),
            None,
        )
        return caller, callee

    @guarded
    async def find_by_username(self, username: str) -> UserRecord | None:
        """Look up ``@name`` (case-insensitive, with or without the ``@``)."""
        name = username.removeprefix("@").lower()
        async with self.engine.connect() as conn:
            row = (await conn.execute(_user_query(users.c.username == name))).first()
        return None if row is None else self._user(row)

    async def set_platform(self, telegram_id: int, platform: str | None) -> None:
        await self._update_user(telegram_id, platform=platform)

    async def set_dm_open(self, telegram_id: int, dm_open: bool) -> None:
        await self._update_user(telegram_id, dm_open=dm_open)

    async def set_dnd(self, telegram_id: int, dnd: bool) -> None:
        await self._update_user(telegram_id, dnd=dnd)

    @guarded
    async def _update_user(self, telegram_id: int, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.telegram_id == telegram_id)
                .values(updated_at=utcnow(), **values)
            )

    @guarded
    async def set_uncallable(
        self, telegram_id: int, uncallable: bool, *, changed_by: int | None = None
    ) -> None:
        """An admin's decision, kept by Telegram id: it outlives the person's record."""
        async with self.engine.begin() as conn:
            if uncallable:
                await conn.execute(
                    self._upsert(
                        uncallable_people,
                        ["telegram_id"],
                        telegram_id=telegram_id,
                        changed_by=changed_by,
                        changed_at=utcnow(),
                    )
                )
            else:
                await conn.execute(
                    delete(uncallable_people).where(uncallable_people.c.telegram_id == telegram_id)
                )

    @guarded
    async def forget_user(self, telegram_id: int) -> bool:
        """Delete a user's record, their number with it (their call history keeps only ids), and
        their places in teams and covers (a later Start does not put them back on call).

        Admins' decisions about them stay: they are about the Telegram account, not the record.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(users).where(users.c.telegram_id == telegram_id))
            await conn.execute(
                delete(endpoint_registrations).where(endpoint_registrations.c.id == telegram_id)
            )
            await self.teams.leave_all(conn, telegram_id)  # their teams and covers
        await self.lines.end_all_of(telegram_id, now=utcnow())  # their places in lines' queues
        return bool(result.rowcount)

    # -- phone numbers and the endpoints they register -------------------------------------------

    @guarded
    async def release_phone(self, phone: str) -> int | None:
        """An admin frees a verified number from the account holding it (a person who
        re-registered Telegram with the same number could never verify otherwise): the holder's
        id, or None if nobody holds it. Their endpoint registration goes with it."""
        async with self.engine.begin() as conn:
            holder = (
                await conn.execute(
                    update(users)
                    .where(users.c.phone == phone)
                    .values(phone=None, phone_verified_at=None, updated_at=utcnow())
                    .returning(users.c.telegram_id)
                )
            ).first()
            if holder is None:
                return None
            await conn.execute(
                delete(endpoint_registrations).where(
                    endpoint_registrations.c.id == holder.telegram_id
                )
            )
        return int(holder.telegram_id)

    @guarded
    async def set_phone(self, telegram_id: int, phone: str, *, now: datetime) -> int | None:
        """Record a verified number and queue its endpoint registration.

        None when it is theirs now; the id of the person who already holds it otherwise (the
        number is then not recorded: one account per number).
        """
        try:
            async with self.engine.begin() as conn:
                holder = (
                    await conn.execute(
                        select(users.c.telegram_id).where(
                            users.c.phone == phone, users.c.telegram_id != telegram_id
                        )
                    )
                ).first()
                if holder is not None:
                    return int(holder.telegram_id)
                changed = await conn.execute(
                    update(users)
                    .where(users.c.telegram_id == telegram_id)
                    .values(phone=phone, phone_verified_at=now, updated_at=now)
                )
                if not changed.rowcount:
                    return None
                await conn.execute(
                    self._upsert(
                        endpoint_registrations,
                        ["id"],
                        id=telegram_id,
                        attempts=0,
                        next_check_at=now,
                        lease_owner=None,
                        lease_until=None,
                    )
                )
        except IntegrityError:  # claimed by someone else a moment ago
            async with self.engine.connect() as conn:
                row = (
                    await conn.execute(select(users.c.telegram_id).where(users.c.phone == phone))
                ).first()
            return int(row.telegram_id) if row is not None else telegram_id
        return None

    @guarded
    async def claim_due_registrations(
        self, owner: str, *, now: datetime, lease: timedelta, limit: int
    ) -> list[tuple[int, int]]:
        """Lease due endpoint registrations: (Telegram id, attempts so far) each."""
        rows = await claim_due(
            self.engine, self._dialect, endpoint_registrations, owner, now, lease, limit
        )
        return [(int(r.id), int(r.attempts)) for r in rows]

    @guarded
    async def end_registration(
        self, telegram_id: int, owner: str, *, retry_at: datetime | None = None
    ) -> None:
        """Done (delete it), or try again at ``retry_at``; only while ``owner`` holds it."""
        if retry_at is not None:
            await release(
                self.engine,
                endpoint_registrations,
                telegram_id,
                owner,
                next_check_at=retry_at,
                attempts=endpoint_registrations.c.attempts + 1,
            )
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(endpoint_registrations).where(
                    *held(endpoint_registrations, telegram_id, owner)
                )
            )

    # -- access --------------------------------------------------------------------------------

    @guarded
    async def access_rules(self) -> list[AccessRule]:
        rows = await self.engine.read(lambda conn: conn.execute(select(access_rules)).all())
        return [AccessRule(r.kind, r.subject_id, r.allowed) for r in rows]

    @guarded
    async def set_access_rule(
        self, kind: RuleKind, subject_id: int, allowed: bool, *, changed_by: int | None
    ) -> None:
        """Allow or deny a user or chat; allowing one forgets that it was told it was not."""
        async with self.engine.begin() as conn:
            await conn.execute(
                self._upsert(
                    access_rules,
                    ["kind", "subject_id"],
                    kind=kind,
                    subject_id=subject_id,
                    allowed=allowed,
                    changed_by=changed_by,
                    changed_at=utcnow(),
                )
            )
            if allowed:
                await conn.execute(
                    delete(access_notices).where(access_notices.c.chat_id == subject_id)
                )

    @guarded
    async def first_access_notice(self, chat_id: int) -> bool:
        """True the first time a chat is told it may not use the bot; False afterwards."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    access_notices.insert().values(chat_id=chat_id, noticed_at=utcnow())
                )
        except IntegrityError:
            return False
        return True

    @guarded
    async def move_chat(self, old: int, new: int, *, allow: bool = False) -> bool:
        """Group ``old`` became supergroup ``new`` (Telegram moved it to a new id): what is
        stored by its id follows, in one transaction. Conditional updates from the old id,
        under a lock on it across replicas: the first call moves everything, any later one (on
        any replica) finds nothing left. True if this call moved anything.

        What moves: its teams (hand-overs, pages and lines follow them), its pages with the
        calls they placed (synthetic keys), its shift swap requests, the admins' rule for the
        chat (when both ids have one, the more recent wins), and the note that it was told it
        may not use the bot.
        ``allow``: the old id is on the settings' allow-list, which cannot change, so the new
        id gets an allow rule unless it has a rule already.

        A moved page's ``/page`` message and notice stayed in the old group's history, whose
        messages the bot can no longer edit: its message id is kept negative (no message of the
        new group has one, so its key never meets a later ``/page`` there) and its notice is
        forgotten, to be posted anew. A ``/call``'s record stays where it was typed: its key and
        notice are messages of the old group (an edit there is answered with the new id, and the
        outcome is posted anew).
        """
        chat_rule = access_rules.c.kind == "chat"
        subject, noticed_chat = access_rules.c.subject_id, access_notices.c.chat_id
        async with self.engine.begin() as conn:
            if self._dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": old})
            moved = 0
            for statement in (
                update(teams).where(teams.c.chat_id == old).values(chat_id=new),
                update(pages)
                .where(pages.c.chat_id == old)
                .values(
                    chat_id=new,
                    message_id=-func.abs(pages.c.message_id),
                    notice_message_id=None,
                ),
                update(calls)
                .where(calls.c.chat_id == old, calls.c.message_id < 0)
                .values(chat_id=new),
                # a swap request's notice stayed in the old group: it is no longer edited
                update(swaps)
                .where(swaps.c.chat_id == old)
                .values(chat_id=new, notice_message_id=None),
            ):
                moved += (await conn.execute(statement)).rowcount
            found = await conn.execute(
                select(access_rules).where(chat_rule, subject.in_((old, new)))
            )
            rules = {row.subject_id: row for row in found}
            if old in rules:
                if new in rules and rules[new].changed_at >= rules[old].changed_at:
                    await conn.execute(delete(access_rules).where(chat_rule, subject == old))
                else:
                    await conn.execute(delete(access_rules).where(chat_rule, subject == new))
                    await conn.execute(
                        update(access_rules).where(chat_rule, subject == old).values(subject_id=new)
                    )
                moved += 1
            elif allow and new not in rules:
                await conn.execute(
                    access_rules.insert().values(
                        kind="chat", subject_id=new, allowed=True, changed_at=utcnow()
                    )
                )
                moved += 1
            found = await conn.execute(select(noticed_chat).where(noticed_chat.in_((old, new))))
            noticed = set(found.scalars())
            if old in noticed:
                if new in noticed:
                    await conn.execute(delete(access_notices).where(noticed_chat == old))
                else:
                    await conn.execute(
                        update(access_notices).where(noticed_chat == old).values(chat_id=new)
                    )
                moved += 1
        return moved > 0

    # -- updates -------------------------------------------------------------------------------

    @guarded
    async def take_update(
        self, bot_id: int, update_id: int, sender: UserProfile | None, *, dm_open: bool | None
    ) -> bool:
        """:meth:`claim_update` and, for the first replica to see it, refresh its sender
        (:meth:`upsert_user`), in one transaction: one commit in front of every handler."""
        if sender is None:
            return await self.claim_update(bot_id, update_id)
        now = utcnow()

        def work(conn: Connection) -> None:
            conn.execute(
                _TAKE_UPDATE, {"bot_id": bot_id, "update_id": update_id, "claimed_at": now}
            )
            self._refresh_user(conn, sender, dm_open=dm_open)

        try:
            await self.engine.write(work)
        except IntegrityError:  # another replica has it (or it is a redelivery)
            return False
        if update_id % 500 == 0:
            await self._forget_old_updates(now)
        return True

    async def _forget_old_updates(self, now: datetime) -> None:
        """Now and then, forget ids nobody will redeliver."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(processed_updates).where(
                    processed_updates.c.claimed_at < now - UPDATE_MEMORY
                )
            )

    @guarded
    async def claim_update(self, bot_id: int, update_id: int) -> bool:
        """True for the first replica to see this update; False for every later delivery."""
        now = utcnow()
        try:
            await self.engine.write(
                lambda conn: conn.execute(
                    _TAKE_UPDATE, {"bot_id": bot_id, "update_id": update_id, "claimed_at": now}
                )
            )
        except IntegrityError:
            return False
        if update_id % 500 == 0:
            await self._forget_old_updates(now)
        return True

    # -- calls ---------------------------------------------------------------------------------

    async def quota_refusal(
        self, conn: AsyncConnection, caller_id: int, quotas: tuple[Quota, ...], now: datetime
    ) -> OverQuota | None:
        """The first quota ``caller_id`` has spent, inside a transaction of the caller's (under
        the same cross-replica lock on the caller as :meth:`claim_call`)."""
        if self._dialect == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": caller_id})
        return await conn.run_sync(_quota_refusal, caller_id, quotas, now)

    @guarded
    async def claim_call(
        self,
        *,
        chat_id: int,
        message_id: int,
        caller_id: int,
        callee_id: int,
        max_duration: int,
        quotas: tuple[Quota, ...] = (),
        now: datetime | None = None,
        page_id: int | None = None,
        update_key: tuple[int, int] | None = None,
        sender: UserProfile | None = None,
        sender_dm_open: bool | None = None,
        owner: str | None = None,
        placing: timedelta | None = None,
        ringing_until: datetime | None = None,
    ) -> Claim:
        """Record a call about to be placed, unless this message already did or a quota is spent.

        With ``placing``, the row is ``owner``'s while it places the call, and due to any
        replica's watcher as soon as that lease lapses (the owner died mid-POST: see
        :meth:`note_placed` and :meth:`finish_call`). With ``ringing_until`` it rings at once
        (``CALL_FLOW=ring``), due to the watcher then: no second write before the ring goes out.
        A key whose call certainly failed (``failed``: Kavenegar said no) may be claimed again,
        as its row (a "Call again" pressed after "busy, try again in 40 s").

        Check and insert happen under a lock on the caller (in this process, and across
        replicas through a PostgreSQL advisory lock), so concurrent commands cannot overspend.
        ``now`` is the caller's clock (the follow-up schedule counts from it). With
        ``update_key`` the update is taken in the same transaction (:meth:`take_update`, its
        ``sender`` refreshed): one commit before the paid POST. An update already taken is a
        :class:`Duplicate`; an over-quota answer still takes it (the refusal is its answer).
        """
        now = now or utcnow()

        def work(conn: Connection) -> Claim:
            if self._dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": caller_id})
            if update_key is not None:  # IntegrityError: another replica took the update
                bot_id, update_id = update_key
                taking = {"bot_id": bot_id, "update_id": update_id, "claimed_at": utcnow()}
                conn.execute(_TAKE_UPDATE, taking)
            if sender is not None:
                self._refresh_user(conn, sender, dm_open=sender_dm_open)
            retry = None
            if update_key is None:  # (a new update is a new message: its key is free)
                taken = conn.execute(
                    select(calls.c.id, calls.c.status).where(
                        calls.c.chat_id == chat_id, calls.c.message_id == message_id
                    )
                ).first()
                if taken is not None and taken.status != CallStatus.FAILED.value:
                    return Duplicate()
                retry = taken
            over = _quota_refusal(conn, caller_id, quotas, now)
            if over is not None:
                return over
            ringing = ringing_until is not None
            placed_by = {
                "next_check_at": ringing_until if ringing else (now if placing else None),
                "lease_owner": owner if placing is not None and not ringing else None,
                "lease_until": now + placing if placing is not None and not ringing else None,
            }
            status = (CallStatus.RINGING if ringing else CallStatus.PENDING).value
            if retry is not None:  # certainly never placed: the same key, tried again
                retried = conn.execute(
                    update(calls)
                    .where(calls.c.id == retry.id, calls.c.status == CallStatus.FAILED.value)
                    .values(
                        caller_id=caller_id,
                        callee_id=callee_id,
                        max_duration=max_duration,
                        status=status,
                        error=None,
                        failure=None,
                        kavenegar_call_id=None,
                        created_at=now,
                        updated_at=now,
                        page_id=page_id,
                        outcome=None,
                        finish_reason=None,
                        finished_at=None,
                        duration_ms=None,
                        notice_message_id=None,
                        caller_message_id=None,
                        callee_message_id=None,
                        **placed_by,
                    )
                )
                if not retried.rowcount:  # another claim took it back a moment ago
                    return Duplicate()
                return Claimed(int(retry.id))
            result = conn.execute(
                _CLAIM_CALL,
                {
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "caller_id": caller_id,
                    "callee_id": callee_id,
                    "max_duration": max_duration,
                    "status": status,
                    "created_at": now,
                    "updated_at": now,
                    "page_id": page_id,
                    **placed_by,
                },
            )
            return Claimed(int(result.scalar_one()))

        try:
            async with self._caller_locks[caller_id % _LOCK_STRIPES]:
                return await self.engine.write(work)
        except IntegrityError:  # another replica claimed it a moment ago (rolled back)
            return Duplicate()

    @guarded
    async def finish_call(
        self,
        call_row_id: int,
        *,
        status: CallStatus,
        kavenegar_call_id: str | None = None,
        error: str | None = None,
        **details: Any,
    ) -> None:
        """Record how a claimed call attempt went: the placing is over, so its lease goes.

        ``details`` may set the deliveries, the failure kind, the ids of the messages to edit
        when the call ends, and ``next_check_at`` (when to start following it up; without it the
        row is due to nobody).
        """
        unknown = set(details) - _CALL_DETAILS
        if unknown:
            raise TypeError(f"not a call detail: {sorted(unknown)}")
        values: dict[str, Any] = {
            "status": status.value,
            "kavenegar_call_id": kavenegar_call_id,
            "error": error[:ERROR_MAX] if error else None,
            "updated_at": utcnow(),
            "next_check_at": None,
            "lease_owner": None,
            "lease_until": None,
            **{k: v for k, v in details.items() if v is not None},
        }
        async with self.engine.begin() as conn:
            if status is CallStatus.CREATED and kavenegar_call_id is not None:
                # a watcher took it for lost (its placer stalled past the lease, or this record
                # waited for the database): the call exists after all, so it is open again
                await conn.execute(
                    update(calls)
                    .where(
                        calls.c.id == call_row_id,
                        calls.c.kavenegar_call_id.is_(None),
                        calls.c.outcome == CallOutcome.UNKNOWN.value,
                    )
                    .values(outcome=None, finish_reason=None, finished_at=None)
                )
            await conn.execute(update(calls).where(calls.c.id == call_row_id).values(**values))

    @guarded
    async def renew_placing(self, call_row_id: int, *, owner: str, until: datetime) -> bool:
        """``owner`` still places the call (a slow POST, token messages waiting on Telegram's
        flood limits): its lease runs to ``until``; False once it is no longer theirs."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(calls)
                .where(
                    calls.c.id == call_row_id,
                    calls.c.lease_owner == owner,
                    calls.c.status == CallStatus.PENDING.value,
                    calls.c.outcome.is_(None),
                )
                .values(lease_until=until)
            )
        return bool(result.rowcount)

    @guarded
    async def note_placed(
        self, call_row_id: int, kavenegar_call_id: str, *, owner: str, until: datetime
    ) -> bool:
        """Kavenegar created the call: its id is kept while its tokens go out, and ``owner``'s
        placing lease runs to ``until``; False if the lease was lost (another replica resumed
        the call meanwhile) or the call was closed. One hop (:meth:`Database.write`): it runs
        beside the token messages, which must not wait on it."""
        statement = (
            update(calls)
            .where(
                calls.c.id == call_row_id,
                calls.c.lease_owner == owner,
                calls.c.outcome.is_(None),
            )
            .values(kavenegar_call_id=kavenegar_call_id, lease_until=until)
        )

        def work(conn: Connection) -> bool:
            return bool(conn.execute(statement).rowcount)

        return await self.engine.write(work)

    @guarded
    async def set_call_messages(self, call_row_id: int, **message_ids: int | None) -> None:
        """Remember the messages to edit when the call ends (only the ids given, not None)."""
        allowed = {"notice_message_id", "caller_message_id", "callee_message_id"}
        values = {k: v for k, v in message_ids.items() if v is not None and k in allowed}
        if set(message_ids) - allowed:
            raise TypeError(f"not a message id: {sorted(set(message_ids) - allowed)}")
        if not values:
            return
        async with self.engine.begin() as conn:
            await conn.execute(update(calls).where(calls.c.id == call_row_id).values(**values))

    # -- follow-up: each due call is worked on by one replica at a time, under a lease ---------

    @guarded
    async def claim_due_calls(
        self,
        owner: str,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
        ringing_since: datetime,
        chores: int | None = None,
        grace: timedelta | None = None,
        ringing_only: bool = False,
    ) -> list[CallRecord]:
        """Lease the calls whose next check is due, in two parts, each the longest waiting first.

        First up to ``chores`` (default: ``limit``) that need no poll: a ring whose time is up,
        an outcome still to announce, a call with no Kavenegar id and, given ``grace``, a call
        older than its ``max_duration`` plus ``grace``. Then up to ``limit`` calls to poll, those
        younger than ``ringing_since`` (in their ringing window) first. So a poll budget
        (``limit``, 0 while polls are paused) never holds up the calls that need no poll.
        With ``ringing_only``, the calls to poll are only those in their ringing window (the
        young calls a running sweep does not answer for).
        """
        chore = _needs_no_poll(self._dialect, now, grace)
        most = limit if chores is None else chores
        done = await claim_due(self.engine, self._dialect, calls, owner, now, lease, most, chore)
        young = case((calls.c.created_at >= ringing_since, 0), else_=1)
        only = (calls.c.created_at >= ringing_since,) if ringing_only else ()
        polls = await claim_due(
            self.engine,
            self._dialect,
            calls,
            owner,
            now,
            lease,
            limit,
            ~chore,
            *only,
            first=(young,),
        )
        return [_call(row) for row in (*done, *polls)]

    @guarded
    async def followed_calls(self) -> int:
        """How many calls are being followed (a poll or a sweep will ask Kavenegar about them),
        by every replica."""
        async with self.engine.connect() as conn:
            found = await conn.execute(select(func.count()).select_from(calls).where(*_followed()))
        return int(found.scalar_one())

    @guarded
    async def claim_swept_calls(
        self,
        owner: str,
        *,
        now: datetime,
        due_by: datetime,
        lease: timedelta,
        limit: int,
        ringing_since: datetime,
        grace: timedelta,
    ) -> list[CallRecord]:
        """Lease up to ``limit`` calls to follow (not chores, see :meth:`claim_due_calls`) that
        are due by ``due_by``, those in their ringing window first: what one sweep answers."""
        young = case((calls.c.created_at >= ringing_since, 0), else_=1)
        chore = _needs_no_poll(self._dialect, now, grace)
        rows = await claim_due(
            self.engine,
            self._dialect,
            calls,
            owner,
            now,
            lease,
            limit,
            ~chore,
            first=(young,),
            due_by=due_by,
        )
        return [_call(row) for row in rows]

    @guarded
    async def reschedule_calls(
        self, call_row_ids: Sequence[int], owner: str, *, next_check_at: datetime
    ) -> int:
        """:meth:`reschedule_call` for many calls at once (those a sweep saw still live); how
        many were still ``owner``'s."""
        if not call_row_ids:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(calls)
                .where(calls.c.id.in_(list(call_row_ids)), calls.c.lease_owner == owner)
                .values(
                    polls=calls.c.polls + 1,
                    next_check_at=next_check_at,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        return int(result.rowcount)

    @guarded
    async def mark_connected_many(self, call_row_ids: Sequence[int], when: datetime) -> None:
        """:meth:`mark_connected` for many calls at once."""
        if not call_row_ids:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                update(calls)
                .where(calls.c.id.in_(list(call_row_ids)), calls.c.connected_at.is_(None))
                .values(connected_at=when)
            )

    @guarded
    async def reschedule_call(
        self, call_row_id: int, owner: str, *, next_check_at: datetime, polled: bool = True
    ) -> bool:
        """Release the lease and set the next check; False if ``owner`` lost the lease."""
        values: dict[str, Any] = {"polls": calls.c.polls + 1} if polled else {}
        return await release(
            self.engine, calls, call_row_id, owner, next_check_at=next_check_at, **values
        )

    @guarded
    async def close_call(
        self,
        call_row_id: int,
        *,
        outcome: CallOutcome,
        status: CallStatus | None = None,
        from_status: CallStatus | None = None,
        finish_reason: str | None = None,
        duration_ms: int | None = None,
        finished_at: datetime | None = None,
        announce: bool = True,
    ) -> bool:
        """Record how the call ended, once: True for the one caller that did it, who then
        announces it; False if it was already closed (by another replica, or a second press).

        ``from_status`` makes it conditional on the current status too (a ring that is still
        ringing); ``status`` changes the status at the same time.
        """
        finished = finished_at or utcnow()
        values: dict[str, Any] = {
            "outcome": outcome.value,
            "finish_reason": finish_reason[:64] if finish_reason else None,
            "duration_ms": duration_ms,
            "finished_at": finished,
            # The announcement is due until :meth:`announced` says it went out: a replica that
            # dies (or a database that fails) between closing and telling leaves it to another.
            # The one telling now holds it for ANNOUNCE_WITHIN (a flood-limited group may make
            # an announcement slow), so nobody tells it a second time meanwhile.
            "next_check_at": finished if announce else None,
            "lease_owner": ANNOUNCING if announce else None,
            "lease_until": finished + ANNOUNCE_WITHIN if announce else None,
            "updated_at": utcnow(),
        }
        if status is not None:
            values["status"] = status.value
        condition = [calls.c.id == call_row_id, calls.c.outcome.is_(None)]
        if from_status is not None:
            condition.append(calls.c.status == from_status.value)
        async with self.engine.begin() as conn:
            result = await conn.execute(update(calls).where(*condition).values(**values))
        return bool(result.rowcount)

    @guarded
    async def announced(self, call_row_id: int) -> None:
        """A closed call's outcome went out: nothing left to do for it."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(calls)
                .where(calls.c.id == call_row_id, calls.c.outcome.is_not(None))
                .values(next_check_at=None, lease_owner=None, lease_until=None)
            )

    @guarded
    async def take_ring(
        self, call_row_id: int, *, now: datetime, owner: str, placing: timedelta
    ) -> bool:
        """The callee answered a ring: True for the one press that moves it on to be placed,
        while it still rings and its time is not up (a ring past its deadline can never be
        taken, whether or not the watcher has ended it yet). The row is then ``owner``'s while
        it places the call, and due to any replica's watcher when that lease lapses."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(calls)
                .where(
                    calls.c.id == call_row_id,
                    calls.c.status == CallStatus.RINGING.value,
                    calls.c.outcome.is_(None),
                    or_(calls.c.next_check_at.is_(None), calls.c.next_check_at > now),
                )
                .values(
                    status=CallStatus.PENDING.value,
                    next_check_at=now,
                    lease_owner=owner,
                    lease_until=now + placing,
                    created_at=now,  # the call itself is created now: its minute starts here
                    updated_at=utcnow(),
                )
            )
        return bool(result.rowcount)

    @guarded
    async def mark_connected(self, call_row_id: int, when: datetime) -> bool:
        """The call's two sides are connected (first seen now); True the first time."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(calls)
                .where(calls.c.id == call_row_id, calls.c.connected_at.is_(None))
                .values(connected_at=when)
            )
        return bool(result.rowcount)

    @guarded
    async def history(self, telegram_id: int, *, limit: int = 10) -> list[CallRecord]:
        """A person's latest calls, both directions, newest first (refused ones are not calls)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(calls)
                    .where(or_(calls.c.caller_id == telegram_id, calls.c.callee_id == telegram_id))
                    .order_by(calls.c.created_at.desc(), calls.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [_call(row) for row in rows]

    @guarded
    async def calls_since(self, since: datetime) -> list[CallRecord]:
        """Every call attempt since ``since``, oldest first (for /stats)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(calls).where(calls.c.created_at >= since).order_by(calls.c.created_at)
                )
            ).all()
        return [_call(row) for row in rows]

    @guarded
    async def call_by_key(self, chat_id: int, message_id: int) -> CallRecord | None:
        """The call claimed with this (chat, message) key, if any."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(calls).where(
                        calls.c.chat_id == chat_id, calls.c.message_id == message_id
                    )
                )
            ).first()
        return None if row is None else _call(row)

    @guarded
    async def get_call(self, call_row_id: int) -> CallRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(calls).where(calls.c.id == call_row_id))).first()
        return None if row is None else _call(row)

    @guarded
    async def add_join_handle(self, call_row_id: int, handle_hash: str, *, now: datetime) -> None:
        """Keep the hash of a join page's handle for call ``call_row_id`` (never the handle)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                join_handles.insert().values(
                    handle_hash=handle_hash, call_id=call_row_id, created_at=now
                )
            )

    @guarded
    async def call_by_join_handle(self, handle_hash: str) -> CallRecord | None:
        """The call a join page's handle (by its hash) stands for, if any."""
        query = (
            select(calls)
            .join(join_handles, join_handles.c.call_id == calls.c.id)
            .where(join_handles.c.handle_hash == handle_hash)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _call(row)

    @guarded
    async def calls_of_page(self, page_id: int) -> list[CallRecord]:
        """The calls page ``page_id`` placed, oldest first."""
        async with self.engine.connect() as conn:
            query = select(calls).where(calls.c.page_id == page_id).order_by(calls.c.id)
            rows = (await conn.execute(query)).all()
        return [_call(row) for row in rows]

    @guarded
    async def list_calls(self) -> list[CallRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(calls).order_by(calls.c.id))).all()
        return [_call(row) for row in rows]


def _profile_values(profile: UserProfile) -> dict[str, Any]:
    """A profile's columns as stored (cut to their limits, the username lower-cased)."""
    return {
        "first_name": profile.first_name[:NAME_MAX],
        "last_name": profile.last_name[:NAME_MAX] if profile.last_name else None,
        "username": profile.username.lower()[:USERNAME_MAX] if profile.username else None,
        "language_code": (profile.language_code or "")[:LANGUAGE_MAX] or None,
        "is_bot": profile.is_bot,
    }


def _user_query(condition: Any) -> Any:
    """A user row with the admin's decision about them, by Telegram id."""
    flagged = exists().where(uncallable_people.c.telegram_id == users.c.telegram_id)
    return select(users, flagged.label("uncallable")).where(condition)


#: Statements of the hot path (every update, every /call), built once: building a statement
#: costs more than running it.
_TAKE_UPDATE = processed_updates.insert()
_CLAIM_CALL = calls.insert().returning(calls.c.id)
_PEOPLE_OF_A_CALL = _user_query(
    or_(
        users.c.telegram_id == bindparam("caller_id"),
        users.c.telegram_id == bindparam("callee_id"),
        users.c.username == bindparam("name"),
    )
)


def _call(row: Any) -> CallRecord:
    return record_from(
        CallRecord,
        row,
        status=CallStatus(row.status),
        outcome=CallOutcome(row.outcome) if row.outcome else None,
    )


def _followed() -> list[Any]:
    """The conditions of a call being followed: open, with a Kavenegar id, neither ringing nor
    being placed (the rows a poll or a sweep asks Kavenegar about)."""
    return [
        calls.c.next_check_at.is_not(None),
        calls.c.outcome.is_(None),
        calls.c.kavenegar_call_id.is_not(None),
        calls.c.status.not_in([CallStatus.RINGING.value, CallStatus.PENDING.value]),
    ]


def _needs_no_poll(dialect: str, now: datetime, grace: timedelta | None) -> Any:
    """The condition of a call row whose next step asks Kavenegar nothing (see
    :meth:`Store.claim_due_calls`); never NULL, so its negation is the calls to poll. Built
    per claim (not cached: ``now`` differs every time)."""
    chores = [
        calls.c.status == CallStatus.RINGING.value,
        calls.c.status == CallStatus.PENDING.value,  # a placing whose placer died: resumed
        calls.c.outcome.is_not(None),
        calls.c.kavenegar_call_id.is_(None),
    ]
    if grace is not None:  # created_at + max_duration < now - grace, in each dialect's terms
        limit = now - grace
        if dialect == "postgresql":
            seconds = calls.c.max_duration * literal_column("interval '1 second'")
            chores.append(calls.c.created_at + seconds < limit)
        else:  # SQLite keeps datetimes as text: compare them as Julian days
            days = calls.c.max_duration / 86400.0
            chores.append(func.julianday(calls.c.created_at) + days < func.julianday(limit))
    return or_(*chores)


def _recent_spending(most: int) -> Any:
    """The ``most`` latest times a person spent quota since ``:since`` (calls they placed or
    that are being placed, pages they sent), newest first. Built once per ``most``: building a
    statement costs more than running it."""
    caller_id = bindparam("caller_id", type_=calls.c.caller_id.type)
    since = bindparam("since", type_=calls.c.created_at.type)
    own_calls = select(calls.c.created_at.label("at")).where(
        calls.c.caller_id == caller_id,
        calls.c.created_at > since,
        calls.c.status.in_(_QUOTA_STATUSES),
        calls.c.page_id.is_(None),
    )
    own_pages = select(pages.c.created_at.label("at")).where(
        pages.c.paged_by == caller_id, pages.c.created_at > since
    )
    both = union_all(own_calls, own_pages).subquery()
    return select(both.c.at).order_by(both.c.at.desc()).limit(most)


def _quota_refusal(
    conn: Connection, caller_id: int, quotas: tuple[Quota, ...], now: datetime
) -> OverQuota | None:
    """The first of ``quotas`` the caller has spent, and when they may call again; None if none.

    What counts: calls placed, possibly placed or being placed (not a page's attempts) and the
    pages the person sent (a page counts once, whatever its attempts cost). One query for all
    the quotas: the most recent of those times within the longest window.
    """
    active = [q for q in quotas if q.limit > 0]
    if not active:
        return None
    since = now - timedelta(seconds=max(q.window for q in active))
    most = max(q.limit for q in active)
    recent = _recent_spending(most)
    times: list[datetime] = [
        row.at for row in conn.execute(recent, {"caller_id": caller_id, "since": since}).all()
    ]
    for quota in active:
        start = now - timedelta(seconds=quota.window)
        within = [at for at in times if at > start]  # newest first
        if len(within) >= quota.limit:
            return OverQuota(quota, within[quota.limit - 1] + timedelta(seconds=quota.window))
    return None


def _in_memory(url: URL) -> bool:
    """An SQLite URL naming no file: ``:memory:``, ``file::memory:``, ``?mode=memory``."""
    database = url.database or ""
    return (
        database in ("", ":memory:") or ":memory:" in database or url.query.get("mode") == "memory"
    )


def _sqlite_pragmas(dbapi_connection: Any, busy_ms: int) -> None:
    # WAL lets readers run beside the writer, and with synchronous=NORMAL a commit costs no
    # fsync (a power cut may lose the last commits, never corrupt the file). The busy timeout
    # waits for another writer, briefly, instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()
