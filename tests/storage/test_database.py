"""``Database.read``/``write``: a whole unit of work at once, with the meaning of a transaction,
on an SQLite file (a worker thread), in memory and on PostgreSQL (the async engine); SQLite's
writers still take turns, first come first served, across both ways of writing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from bot.storage import Store, StoreUnavailable, utcnow
from bot.storage.tables import processed_updates

#: The tests of the async engine run on an SQLite file, in memory and on PostgreSQL.
EVERY_ENGINE = pytest.mark.parametrize(
    "db_url",
    ["sqlite", "memory", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)
#: The tests of SQLite's worker thread and its turns to write run on an SQLite file.
SQLITE_FILE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def take(update_id: int, log: list[int] | None = None) -> Callable[[Connection], None]:
    def work(conn: Connection) -> None:
        if log is not None:
            log.append(update_id)
        conn.execute(
            processed_updates.insert().values(bot_id=1, update_id=update_id, claimed_at=utcnow())
        )

    return work


def taken(conn: Connection) -> list[int]:
    return list(conn.execute(select(processed_updates.c.update_id)).scalars())


@EVERY_ENGINE
async def test_a_write_commits_as_a_whole_or_not_at_all(store: Store) -> None:
    db = store.engine
    await db.write(take(1))

    def two_then_a_duplicate(conn: Connection) -> None:
        take(2)(conn)
        take(1)(conn)

    with pytest.raises(IntegrityError):
        await db.write(two_then_a_duplicate)
    assert await db.read(taken) == [1]  # update 2 was rolled back with the duplicate
    async with db.connect() as conn:  # the async engine sees the same rows
        assert list((await conn.execute(select(processed_updates.c.update_id))).scalars()) == [1]


@SQLITE_FILE
async def test_on_an_sqlite_file_the_work_runs_in_a_worker_thread(store: Store) -> None:
    """One hop to a thread per unit of work: the event loop never waits on SQLite."""
    loop_thread = threading.current_thread()
    seen = await store.engine.read(lambda conn: threading.current_thread())
    assert seen is not loop_thread


@SQLITE_FILE
async def test_sqlite_writers_take_turns_in_order_across_both_ways(store: Store) -> None:
    """An async transaction holds the turn; writes asked for meanwhile wait for it (no
    "database is locked") and go in the order they asked."""
    db, order = store.engine, list[int]()
    async with db.begin() as conn:
        waiting = [asyncio.create_task(db.write(take(n, order))) for n in (11, 12, 13)]
        await asyncio.sleep(0.05)
        assert order == []  # nobody wrote while the turn was taken
        await conn.execute(
            processed_updates.insert().values(bot_id=1, update_id=10, claimed_at=utcnow())
        )
    await asyncio.gather(*waiting)
    assert order == [11, 12, 13]
    assert sorted(await db.read(taken)) == [10, 11, 12, 13]


@SQLITE_FILE
async def test_a_cancelled_write_finishes_before_the_next_one_starts(store: Store) -> None:
    """The caller gave up (a shutdown, a timeout), but the thread is mid-transaction: it commits,
    and the turn passes on only then, so the next writer never meets SQLite's lock."""
    db, release, log = store.engine, threading.Event(), list[str]()

    def slow(conn: Connection) -> None:
        log.append("slow started")
        take(21)(conn)
        release.wait(5)
        log.append("slow done")

    first = asyncio.create_task(db.write(slow))
    while not log:  # noqa: ASYNC110 (the thread has no event loop to signal with)
        await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.create_task(db.write(lambda conn: log.append("second")))
    await asyncio.sleep(0.05)
    assert log == ["slow started"]  # the second waits for the cancelled one's transaction
    release.set()
    await second
    assert log == ["slow started", "slow done", "second"]
    assert await db.read(taken) == [21]  # committed although its caller left


@SQLITE_FILE
async def test_no_turn_within_the_timeout_is_an_error_not_a_hang(store: Store) -> None:
    db = store.engine
    async with db.begin():
        with pytest.raises(TimeoutError, match="no turn to write"):
            await db.write(take(31))
    await db.write(take(32))
    assert await db.read(taken) == [32]


@SQLITE_FILE
async def test_a_closed_store_is_unavailable_at_once(store: Store) -> None:
    """After close, every query is StoreUnavailable, and a write refused on the way in does not
    keep the turn to write (the next one is refused too, not left waiting)."""
    await store.close()
    for _ in range(2):
        with pytest.raises(StoreUnavailable):
            await store.claim_update(1, 41)
    with pytest.raises(StoreUnavailable):
        await store.get_user(1)


async def test_an_in_memory_uri_is_one_database(tmp_path: Path) -> None:
    """``?mode=memory`` names no file: everything goes through the one async engine (a second
    engine would open another, empty database)."""
    url = "sqlite+aiosqlite:///file:kcb_test?mode=memory&cache=shared&uri=true"
    store = await Store.open(url, timeout=1.0)
    try:
        assert await store.claim_update(1, 51)
        assert not await store.claim_update(1, 51)
        assert await store.get_user(1) is None
    finally:
        await store.close()
