"""Leasing due rows: how replicas share work that must happen later, each row on one replica.

A table of work has ``id``, ``next_check_at`` (NULL: nothing to do), ``lease_owner`` and
``lease_until``. :func:`claim_due` takes up to ``limit`` due rows whose lease is free or has
run out, in one statement; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets replicas claim side by
side without waiting for each other, and SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.storage.database import Database

__all__ = ["anything_due", "claim_due", "due_now"]


def due_now(table: Any, now: datetime) -> list[Any]:
    """The conditions of a due row whose lease is free (or has run out)."""
    return [
        table.c.next_check_at.is_not(None),
        table.c.next_check_at <= now,
        or_(table.c.lease_until.is_(None), table.c.lease_until < now),
    ]


async def anything_due(engine: Database, table: Any, now: datetime, *conditions: Any) -> bool:
    """A read (no write lock) before claiming: an idle scheduler's ticks write nothing, so they
    never hold up a command's writes (SQLite has one writer at a time)."""
    async with engine.connect() as conn:
        found = await conn.execute(
            select(table.c.id).where(*due_now(table, now), *conditions).limit(1)
        )
        return found.first() is not None


async def claim_due(
    engine: Database,
    dialect: str,
    table: Any,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *conditions: Any,
) -> list[Any]:
    """Lease the due rows of ``table`` to ``owner`` until ``now + lease``; the rows, whole."""
    if not await anything_due(engine, table, now, *conditions):
        return []
    due = (
        select(table.c.id)
        .where(*due_now(table, now), *conditions)
        .order_by(table.c.next_check_at, table.c.id)
        .limit(limit)
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    async with engine.begin() as conn:
        claimed = await conn.execute(
            update(table)
            .where(table.c.id.in_(due.scalar_subquery()))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(table.c.id)
        )
        ids = [row.id for row in claimed]
        if not ids:
            return []
        return list((await conn.execute(select(table).where(table.c.id.in_(ids)))).all())
