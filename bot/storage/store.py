"""All SQL lives here: SQLAlchemy 2 Core on an async engine, SQLite or PostgreSQL by URL.

``users`` maps a Telegram user to a stable Kavenegar username and remembers what we last saw of
them, with their consent flags. ``calls`` records every attempt to place a call; its unique key on
(chat_id, message_id) is taken *before* Kavenegar is asked, so one Telegram message creates at
most one call whatever happens (edits, redelivered updates, two replicas, retries), and the
per-user quotas are counted from it in the same transaction. ``access_rules`` holds the
allow/deny decisions admins make at run time; ``access_notices`` remembers which chats were
already told they are not allowed; ``processed_updates`` lets exactly one replica handle each
Telegram update. Access tokens are never stored.

The schema is managed by Alembic (``bot/migrations``); :meth:`Store.open` upgrades it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    event,
    false,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "AccessRule",
    "CallRecord",
    "Claim",
    "Quota",
    "Store",
    "UserProfile",
    "UserRecord",
    "metadata",
]

logger = logging.getLogger(__name__)
metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(64), nullable=True, index=True),  # lower-cased, without "@"
    Column("first_name", String(256), nullable=False),
    Column("last_name", String(256), nullable=True),
    Column("language_code", String(16), nullable=True),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("kavenegar_username", String(50), nullable=False, unique=True),
    Column("platform", String(16), nullable=True),
    # True once the user pressed Start in private (the bot may write to them); False again
    # when Telegram refuses a private message (blocked, deactivated).
    Column("dm_open", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # The person asked not to receive calls (/dnd on).
    Column("dnd", Boolean, nullable=False, default=False, server_default=false()),
    # An admin marked the person uncallable.
    Column("uncallable", Boolean, nullable=False, default=False, server_default=false()),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("caller_id", BigInteger, nullable=False, index=True),
    Column("callee_id", BigInteger, nullable=False),
    Column("max_duration", Integer, nullable=False),
    # pending -> created | failed | unknown (no answer: the call may exist)
    Column("status", String(16), nullable=False),
    Column("kavenegar_call_id", String(64), nullable=True),
    Column("error", String(200), nullable=True),
    Column("caller_delivery", String(32), nullable=True),
    Column("callee_delivery", String(32), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("chat_id", "message_id", name="uq_calls_chat_message"),
    Index("ix_calls_caller_created", "caller_id", "created_at"),
)

access_rules = Table(
    "access_rules",
    metadata,
    Column("kind", String(8), primary_key=True),  # "user" or "chat"
    Column("subject_id", BigInteger, primary_key=True, autoincrement=False),
    Column("allowed", Boolean, nullable=False),
    Column("changed_by", BigInteger, nullable=True),
    Column("changed_at", DateTime, nullable=False),
)

access_notices = Table(
    "access_notices",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("noticed_at", DateTime, nullable=False),
)

processed_updates = Table(
    "processed_updates",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("claimed_at", DateTime, nullable=False, index=True),
)

#: How long processed update ids are remembered (Telegram redelivers within hours, not days).
UPDATE_MEMORY = timedelta(days=2)

#: Calls that count against a quota: placed, possibly placed, or being placed.
QUOTA_STATUSES = ("pending", "created", "unknown")
_MIGRATION_LOCK = 7_243_001  # pg_advisory_xact_lock key: one replica migrates at a time
_LOCK_STRIPES = 64


def utcnow() -> datetime:
    """Naive UTC: both SQLite and PostgreSQL ``timestamp`` columns store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def display_name(first_name: str, last_name: str | None, telegram_id: int) -> str:
    """ "First Last" as Telegram shows it; the id when both are empty."""
    return " ".join(p for p in (first_name, last_name) if p) or str(telegram_id)


@dataclass(frozen=True)
class UserProfile:
    """What a Telegram update tells us about its sender."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.telegram_id)


@dataclass(frozen=True)
class UserRecord:
    """A known user."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    is_bot: bool
    kavenegar_username: str
    platform: str | None
    dm_open: bool
    dnd: bool = False
    uncallable: bool = False

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.telegram_id)


@dataclass(frozen=True)
class CallRecord:
    """One attempt to place a call."""

    id: int
    chat_id: int
    message_id: int
    caller_id: int
    callee_id: int
    max_duration: int
    status: str
    kavenegar_call_id: str | None
    error: str | None
    caller_delivery: str | None
    callee_delivery: str | None


@dataclass(frozen=True)
class AccessRule:
    """An admin's run-time decision: ``kind`` is "user" or "chat"."""

    kind: str
    subject_id: int
    allowed: bool


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` calls per ``window`` seconds (0: unlimited)."""

    limit: int
    window: int


@dataclass(frozen=True)
class Claim:
    """The result of :meth:`Store.claim_call`: a row id, or why there is none."""

    row_id: int | None = None
    duplicate: bool = False
    #: The quota that refused the call, and when the caller may call again.
    quota: Quota | None = None
    retry_at: datetime | None = None


class Store:
    """Intent-named queries over one async engine."""

    def __init__(self, engine: AsyncEngine, *, username_prefix: str = "tg") -> None:
        self.engine = engine
        self.username_prefix = username_prefix
        self._dialect = engine.dialect.name
        self._caller_locks = [asyncio.Lock() for _ in range(_LOCK_STRIPES)]

    @classmethod
    async def open(cls, url: str, *, username_prefix: str = "tg") -> Store:
        """Connect, creating an SQLite file's folder if needed, and make sure the schema exists."""
        parsed = make_url(url)
        options: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
        engine = create_async_engine(url, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        store = cls(engine, username_prefix=username_prefix)
        await store.create_schema()
        return store

    async def create_schema(self) -> None:
        """Apply every pending migration; replicas starting together take turns (PostgreSQL)."""
        from .migrations import upgrade

        async with self.engine.begin() as conn:
            if self._dialect == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
            await conn.run_sync(upgrade)

    async def ping(self) -> bool:
        """Whether the database answers."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(select(1))
        except Exception:
            logger.warning("database ping failed", exc_info=True)
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()

    # -- users ---------------------------------------------------------------------------------

    def kavenegar_username_for(self, telegram_id: int) -> str:
        """Stable, unique, at most 50 characters: the prefix (<= 30) and the numeric id."""
        return f"{self.username_prefix}{telegram_id}"

    async def upsert_user(self, profile: UserProfile, *, dm_open: bool | None = None) -> UserRecord:
        """Refresh what we know of a user, creating them (and their Kavenegar name) if new.

        A username moves with its owner: whoever held it before loses it, so ``@name`` lookups
        stay unambiguous.
        """
        now = utcnow()
        username = profile.username.lower() if profile.username else None
        values: dict[str, Any] = {
            "first_name": profile.first_name[:256],
            "last_name": profile.last_name[:256] if profile.last_name else None,
            "username": username,
            "language_code": profile.language_code,
            "is_bot": profile.is_bot,
            "updated_at": now,
        }
        if dm_open is not None:
            values["dm_open"] = dm_open
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(users)
        statement = insert.values(
            telegram_id=profile.telegram_id,
            kavenegar_username=self.kavenegar_username_for(profile.telegram_id),
            created_at=now,
            **{"dm_open": False, **values},
        ).on_conflict_do_update(index_elements=[users.c.telegram_id], set_=values)
        async with self.engine.begin() as conn:
            if username:
                await conn.execute(
                    update(users)
                    .where(users.c.username == username)
                    .where(users.c.telegram_id != profile.telegram_id)
                    .values(username=None)
                )
            await conn.execute(statement)
            row = (
                await conn.execute(select(users).where(users.c.telegram_id == profile.telegram_id))
            ).one()
        return _user(row)

    async def get_user(self, telegram_id: int) -> UserRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(users).where(users.c.telegram_id == telegram_id))
            ).first()
        return None if row is None else _user(row)

    async def find_by_username(self, username: str) -> UserRecord | None:
        """Look up ``@name`` (case-insensitive, with or without the ``@``)."""
        name = username.removeprefix("@").lower()
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == name))).first()
        return None if row is None else _user(row)

    async def set_platform(self, telegram_id: int, platform: str | None) -> None:
        await self._update_user(telegram_id, platform=platform)

    async def set_dm_open(self, telegram_id: int, dm_open: bool) -> None:
        await self._update_user(telegram_id, dm_open=dm_open)

    async def _update_user(self, telegram_id: int, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.telegram_id == telegram_id)
                .values(updated_at=utcnow(), **values)
            )

    async def set_dnd(self, telegram_id: int, dnd: bool) -> None:
        await self._update_user(telegram_id, dnd=dnd)

    async def set_uncallable(self, telegram_id: int, uncallable: bool) -> bool:
        """Mark a known user (un)callable; False if we do not know them."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(users)
                .where(users.c.telegram_id == telegram_id)
                .values(uncallable=uncallable, updated_at=utcnow())
            )
        return bool(result.rowcount)

    async def forget_user(self, telegram_id: int) -> bool:
        """Delete a user's record (their call history keeps only numeric ids)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(users).where(users.c.telegram_id == telegram_id))
        return bool(result.rowcount)

    # -- access --------------------------------------------------------------------------------

    async def access_rules(self) -> list[AccessRule]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(access_rules))).all()
        return [AccessRule(r.kind, r.subject_id, r.allowed) for r in rows]

    async def set_access_rule(
        self, kind: str, subject_id: int, allowed: bool, *, changed_by: int | None
    ) -> None:
        """Allow or deny a user or chat; allowing one forgets that it was told it was not."""
        values = {"allowed": allowed, "changed_by": changed_by, "changed_at": utcnow()}
        insert = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(
            access_rules
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                insert.values(kind=kind, subject_id=subject_id, **values).on_conflict_do_update(
                    index_elements=[access_rules.c.kind, access_rules.c.subject_id], set_=values
                )
            )
            if allowed:
                await conn.execute(
                    delete(access_notices).where(access_notices.c.chat_id == subject_id)
                )

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

    # -- updates -------------------------------------------------------------------------------

    async def claim_update(self, bot_id: int, update_id: int) -> bool:
        """True for the first replica to see this update; False for every later delivery."""
        now = utcnow()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    processed_updates.insert().values(
                        bot_id=bot_id, update_id=update_id, claimed_at=now
                    )
                )
                if update_id % 500 == 0:  # now and then, forget ids nobody will redeliver
                    await conn.execute(
                        delete(processed_updates).where(
                            processed_updates.c.claimed_at < now - UPDATE_MEMORY
                        )
                    )
        except IntegrityError:
            return False
        return True

    # -- calls ---------------------------------------------------------------------------------

    async def claim_call(
        self,
        *,
        chat_id: int,
        message_id: int,
        caller_id: int,
        callee_id: int,
        max_duration: int,
        quotas: tuple[Quota, ...] = (),
    ) -> Claim:
        """Record a call about to be placed, unless this message already did or a quota is spent.

        Check and insert happen under a lock on the caller (in this process, and across
        replicas through a PostgreSQL advisory lock), so concurrent commands cannot overspend.
        """
        now = utcnow()
        async with self._caller_locks[caller_id % _LOCK_STRIPES], self.engine.begin() as conn:
            if self._dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": caller_id})
            existing = await conn.execute(
                select(calls.c.id).where(
                    calls.c.chat_id == chat_id, calls.c.message_id == message_id
                )
            )
            if existing.first() is not None:
                return Claim(duplicate=True)
            for quota in quotas:
                retry_at = await _quota_retry_at(conn, caller_id, quota, now)
                if retry_at is not None:
                    return Claim(quota=quota, retry_at=retry_at)
            try:
                async with conn.begin_nested():
                    result = await conn.execute(
                        calls.insert()
                        .values(
                            chat_id=chat_id,
                            message_id=message_id,
                            caller_id=caller_id,
                            callee_id=callee_id,
                            max_duration=max_duration,
                            status="pending",
                            created_at=now,
                            updated_at=now,
                        )
                        .returning(calls.c.id)
                    )
            except IntegrityError:  # another replica claimed it a moment ago
                return Claim(duplicate=True)
            return Claim(row_id=int(result.scalar_one()))

    async def finish_call(
        self,
        call_row_id: int,
        *,
        status: str,
        kavenegar_call_id: str | None = None,
        error: str | None = None,
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(calls)
                .where(calls.c.id == call_row_id)
                .values(
                    status=status,
                    kavenegar_call_id=kavenegar_call_id,
                    error=error[:200] if error else None,
                    updated_at=utcnow(),
                )
            )

    async def record_deliveries(self, call_row_id: int, *, caller: str, callee: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(calls)
                .where(calls.c.id == call_row_id)
                .values(caller_delivery=caller, callee_delivery=callee, updated_at=utcnow())
            )

    async def get_call(self, call_row_id: int) -> CallRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(calls).where(calls.c.id == call_row_id))).first()
        return None if row is None else _call(row)

    async def list_calls(self) -> list[CallRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(calls).order_by(calls.c.id))).all()
        return [_call(row) for row in rows]


def _user(row: Any) -> UserRecord:
    return UserRecord(
        telegram_id=row.telegram_id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        language_code=row.language_code,
        is_bot=row.is_bot,
        kavenegar_username=row.kavenegar_username,
        platform=row.platform,
        dm_open=row.dm_open,
        dnd=row.dnd,
        uncallable=row.uncallable,
    )


def _call(row: Any) -> CallRecord:
    return CallRecord(
        id=row.id,
        chat_id=row.chat_id,
        message_id=row.message_id,
        caller_id=row.caller_id,
        callee_id=row.callee_id,
        max_duration=row.max_duration,
        status=row.status,
        kavenegar_call_id=row.kavenegar_call_id,
        error=row.error,
        caller_delivery=row.caller_delivery,
        callee_delivery=row.callee_delivery,
    )


async def _quota_retry_at(
    conn: Any, caller_id: int, quota: Quota, now: datetime
) -> datetime | None:
    """When the caller may call again under ``quota``; None if they may now."""
    if quota.limit <= 0:
        return None
    since = now - timedelta(seconds=quota.window)
    recent = (
        select(calls.c.created_at)
        .where(
            calls.c.caller_id == caller_id,
            calls.c.created_at > since,
            calls.c.status.in_(QUOTA_STATUSES),
        )
        .order_by(calls.c.created_at.desc())
        .limit(quota.limit)
    )
    rows = (await conn.execute(recent)).all()
    if len(rows) < quota.limit:
        return None
    oldest: datetime = rows[-1].created_at
    return oldest + timedelta(seconds=quota.window)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers run beside the writer; the busy timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
