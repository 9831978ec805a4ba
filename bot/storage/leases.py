"""Leasing due rows: how replicas share work that must happen later, each row on one replica.

A table of work has ``id``, ``next_check_at`` (NULL: nothing to do), ``lease_owner`` and
``lease_until``. The three moves on it, used by every table's queries:

- :func:`claim_due` takes up to ``limit`` due rows whose lease is free or has run out, in one
  statement; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets replicas claim side by side without
  waiting for each other, and SQLite has one writer at a time anyway;
- :func:`renew` extends a lease before slow work;
- :func:`release` writes a row's progress, its next check, and frees its lease.

Each holds only while the owner still holds the row: a lease that ran out and was taken over is
lost, and the write reports it (False).
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.storage.database import Database

__all__ = ["anything_due", "claim_due", "due_now", "held", "release", "renew"]


def due_now(table: Any, now: datetime, due_by: datetime | None = None) -> list[Any]:
    """The conditions of a due row (due by ``due_by``, by default ``now``) whose lease is free
    (or has run out) ``now``."""
    return [
        table.c.next_check_at.is_not(None),
        table.c.next_check_at <= (due_by or now),
        or_(table.c.lease_until.is_(None), table.c.lease_until < now),
    ]


def held(table: Any, row_id: int, owner: str | None) -> list[Any]:
    """The conditions of row ``row_id`` while ``owner`` holds it (None: while nobody does)."""
    return [
        table.c.id == row_id,
        table.c.lease_owner == owner if owner is not None else table.c.lease_owner.is_(None),
    ]


async def anything_due(
    engine: Database, table: Any, now: datetime, *conditions: Any, due_by: datetime | None = None
) -> bool:
    """A read (no write lock) before claiming: an idle scheduler's ticks write nothing, so they
    never hold up a command's writes (SQLite has one writer at a time)."""
    async with engine.connect() as conn:
        found = await conn.execute(
            select(table.c.id).where(*due_now(table, now, due_by), *conditions).limit(1)
        )
        return found.first() is not None


#: Leases taken over from another replica (its lease lapsed), by table, since this process
#: started: a replica that stops mid-work shows here (``kcb_lease_takeovers_total``).
TAKEOVERS: collections.Counter[str] = collections.Counter()
#: The owner of an outcome being announced (see ``Store.close_call``): not a replica.
ANNOUNCING = "announcing"


async def claim_due(
    engine: Database,
    dialect: str,
    table: Any,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *conditions: Any,
    first: Sequence[Any] = (),
    due_by: datetime | None = None,
) -> list[Any]:
    """Lease the due rows of ``table`` (and ``conditions``) to ``owner`` until ``now + lease``;
    the rows, whole. ``due_by`` (later than ``now``) takes rows due by then too.

    The longest waiting are taken first (``next_check_at``, then ``id``), after the order of
    ``first`` if given, which also orders the rows returned (otherwise their order is the
    database's).
    """
    if limit <= 0:
        return []
    if not await anything_due(engine, table, now, *conditions, due_by=due_by):
        return []
    due = (
        select(table.c.id)
        .where(*due_now(table, now, due_by), *conditions)
        .order_by(*first, table.c.next_check_at, table.c.id)
        .limit(limit)
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    async with engine.begin() as conn:
        found = (await conn.execute(due.add_columns(table.c.lease_owner))).all()
        if not found:
            return []
        claimed = await conn.execute(
            update(table)
            .where(table.c.id.in_([row.id for row in found]))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(table.c.id)
        )
        ids = [row.id for row in claimed]
        if not ids:
            return []
        # another replica's lapsed lease: it stopped (or stalled) mid-work, this one goes on
        others = sum(1 for row in found if row.lease_owner not in (None, owner, ANNOUNCING))
        if others:
            TAKEOVERS[table.name] += others
        rows = select(table).where(table.c.id.in_(ids))
        if first:
            rows = rows.order_by(*first)
        return list((await conn.execute(rows)).all())


async def renew(
    engine: Database, table: Any, row_id: int, owner: str, until: datetime, *conditions: Any
) -> bool:
    """Extend ``owner``'s lease on the row to ``until`` (while ``conditions`` hold too); False
    if it was lost."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(table).where(*held(table, row_id, owner), *conditions).values(lease_until=until)
        )
    return bool(result.rowcount)


async def release(
    engine: Database,
    table: Any,
    row_id: int,
    owner: str | None,
    *conditions: Any,
    next_check_at: datetime | None,
    **values: Any,
) -> bool:
    """Write ``values`` and the next check (None: nothing left to do) and free the lease, while
    ``owner`` holds the row (None: while nobody does) and ``conditions`` hold; False if not."""
    values.update(next_check_at=next_check_at, lease_owner=None, lease_until=None)
    async with engine.begin() as conn:
        result = await conn.execute(
            update(table).where(*held(table, row_id, owner), *conditions).values(**values)
        )
    return bool(result.rowcount)
