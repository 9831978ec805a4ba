"""Schema changes are Alembic migrations: a first-release database upgrades with its data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.records import Duplicate, Page
from bot.storage import Store, metadata
from bot.storage.migrations import head_revision, upgrade

# The schema exactly as the first release created it (metadata.create_all, no Alembic).
first_release = MetaData()
Table(
    "users", first_release,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(64), nullable=True, index=True),
    Column("first_name", String(256), nullable=False),
    Column("last_name", String(256), nullable=True),
    Column("language_code", String(16), nullable=True),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("kavenegar_username", String(50), nullable=False, unique=True),
    Column("platform", String(16), nullable=True),
    Column("dm_open", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)  # fmt: skip
Table(
    "calls", first_release,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("caller_id", BigInteger, nullable=False, index=True),
    Column("callee_id", BigInteger, nullable=False),
    Column("max_duration", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("kavenegar_call_id", String(64), nullable=True),
    Column("error", String(200), nullable=True),
    Column("caller_delivery", String(32), nullable=True),
    Column("callee_delivery", String(32), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("chat_id", "message_id", name="uq_calls_chat_message"),
)  # fmt: skip

WHEN = datetime(2026, 11, 1, 12, 0, 0)


async def test_first_release_database_upgrades_with_every_record(empty_db_url: str) -> None:
    engine = create_async_engine(empty_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(first_release.create_all)
        await conn.execute(
            text(
                "INSERT INTO users (telegram_id, username, first_name, last_name, language_code,"
                " is_bot, kavenegar_username, platform, dm_open, created_at, updated_at) VALUES"
                " (1, 'alice_k', 'Alice', NULL, 'en', false, 'tg1', 'ios', true, :w, :w),"
                " (2, NULL, 'محمد', 'رضایی', 'fa', false, 'tg2', NULL, false, :w, :w)"
            ),
            {"w": WHEN},
        )
        await conn.execute(
            text(
                "INSERT INTO calls (chat_id, message_id, caller_id, callee_id, max_duration,"
                " status, kavenegar_call_id, error, caller_delivery, callee_delivery,"
                " created_at, updated_at) VALUES"
                " (-100, 7, 1, 2, 600, 'created', 'call-1', NULL, 'sent', 'blocked', :w, :w)"
            ),
            {"w": WHEN},
        )
    await engine.dispose()

    store = await Store.open(empty_db_url)  # upgrades to head
    try:
        alice, mohammad = await store.get_user(1), await store.get_user(2)
        calls = await store.list_calls()
        assert alice is not None and mohammad is not None
        assert (alice.username, alice.kavenegar_username, alice.platform, alice.dm_open) == (
            "alice_k",
            "tg1",
            "ios",
            True,
        )
        assert (mohammad.profile.first_name, mohammad.profile.last_name, mohammad.dm_open) == (
            "محمد",
            "رضایی",
            False,
        )
        assert (alice.dnd, alice.uncallable) == (False, False)  # new columns, safe defaults
        # no number yet: asked for one when numbers are required; the username stays theirs
        assert (alice.phone, mohammad.phone) == (None, None)
        assert await store.set_phone(1, "+989120822930", now=WHEN) is None
        assert await store.set_phone(2, "+989120822930", now=WHEN) == 1  # one account each
        # who could be written to had pressed Start: they stay callable after the upgrade
        assert (alice.started, mohammad.started) == (True, False)
        (call,) = calls
        assert (call.kavenegar_call_id, call.callee_delivery, call.max_duration) == (
            "call-1",
            "blocked",
            600,
        )
        # the old unique key still guards against duplicate calls
        assert await store.claim_call(
            chat_id=-100, message_id=7, caller_id=1, callee_id=2, max_duration=1
        ) == Duplicate()  # fmt: skip
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == head_revision()
    finally:
        await store.close()

    again = await Store.open(empty_db_url)  # opening an up-to-date database changes nothing
    assert len(await again.list_calls()) == 1
    await again.close()


async def test_migrations_build_exactly_the_models(empty_db_url: str) -> None:
    store = await Store.open(empty_db_url)
    try:
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await store.close()
    assert diff == []


async def test_an_admins_uncallable_flag_survives_the_move_out_of_users(empty_db_url: str) -> None:
    """Revision 0004 moves "uncallable" to its own table keyed by Telegram id (issue 8 item 8)."""
    engine = create_async_engine(empty_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade, "0003")
        await conn.execute(
            text(
                "INSERT INTO users (telegram_id, username, first_name, is_bot, kavenegar_username,"
                " dm_open, created_at, updated_at, dnd, uncallable) VALUES"
                " (1, 'bob_k', 'Bob', false, 'tg1', true, :w, :w, false, true),"
                " (2, 'eve_k', 'Eve', false, 'tg2', true, :w, :w, true, false)"
            ),
            {"w": WHEN},
        )
    await engine.dispose()
    store = await Store.open(empty_db_url)
    try:
        bob, eve = await store.get_user(1), await store.get_user(2)
        assert bob is not None and eve is not None
        assert (bob.uncallable, bob.dnd, bob.started) == (True, False, True)
        assert (eve.uncallable, eve.dnd) == (False, True)
        await store.forget_user(1)
        assert await store.get_user(1) is None
        back = await store.upsert_user(bob.profile, dm_open=True, started=True)
        assert back.uncallable
    finally:
        await store.close()


async def test_parallel_running_pages_of_a_team_upgrade_to_one(empty_db_url: str) -> None:
    """Revision 0011 (issue 18 item 3): a database where one team has three running pages (the
    fault it removes) keeps the oldest running and stops the others, before the index that
    allows one running page per team is built."""
    engine = create_async_engine(empty_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade, "0010")
        for page_id, team_id, status in [
            (1, 7, "answered"), (2, 7, "active"), (3, 7, "active"), (4, 7, "active"),
            (5, 8, "active"),
        ]:  # fmt: skip
            await conn.execute(
                text(
                    "INSERT INTO pages (id, team_id, paged_by, chat_id, message_id, status, plan,"
                    " step, attempts, log, created_at, updated_at, next_check_at, lease_owner,"
                    " lease_until) VALUES (:id, :team, 1, -1, :message, :status, '[2]', 0, 0, '[]',"
                    " :w, :w, :due, 'old-replica', :w)"
                ),
                {
                    "id": page_id,
                    "message": page_id,
                    "team": team_id,
                    "status": status,
                    "w": WHEN,
                    "due": WHEN if status == "active" else None,
                },
            )
    await engine.dispose()
    store = await Store.open(empty_db_url)
    try:
        found = [await store.teams.page(page_id) for page_id in range(1, 6)]
        assert [(p.status.value, p.team_name, p.joins) for p in found if p is not None] == [
            ("answered", None, []),
            ("active", None, []),
            ("stopped", None, []),
            ("stopped", None, []),
            ("active", None, []),
        ]
        async with store.engine.connect() as conn:
            due = await conn.execute(
                text("SELECT id FROM pages WHERE next_check_at IS NOT NULL ORDER BY id")
            )
            assert [row.id for row in due] == [2, 5]
        joined = await store.teams.claim_page(
            team_id=7, paged_by=3, reason="also", chat_id=-1, message_id=100, plan=[2],
            now=WHEN, quota_check=lambda conn, now: _none(),
        )  # fmt: skip
        assert isinstance(joined, Page) and joined.id == 2
    finally:
        await store.close()


async def _none() -> None:
    return None


async def test_teams_of_0012_upgrade_without_quiet_hours_and_swaps_come_and_go(
    empty_db_url: str,
) -> None:
    """Revision 0013 (issue 22): a team of 0012 keeps paging at any hour (no quiet hours, no
    after-hours team); the swaps table is there, and downgrading removes what 0013 added."""
    engine = create_async_engine(empty_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade, "0012")
        await conn.execute(
            text(
                "INSERT INTO teams (id, name, owner_id, chat_id, zone, created_at)"
                " VALUES (7, 'ops', 1, -100, 'Asia/Tehran', :w)"
            ),
            {"w": WHEN},
        )
    await engine.dispose()
    store = await Store.open(empty_db_url)
    try:
        team = await store.teams.by_id(7)
        assert team is not None
        assert (team.quiet_start, team.quiet_end, team.quiet_urgent) == (None, None, False)
        assert team.after_hours_team_id is None and team.quiet_weekend is False
        await store.teams.set_quiet(7, start="22:00", end="08:00", urgent=True)
        team = await store.teams.by_id(7)
        assert team is not None and (team.quiet_start, team.quiet_urgent) == ("22:00", True)
    finally:
        await store.close()
    engine = create_async_engine(empty_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, "0012")
        columns = {c["name"] for c in await conn.run_sync(_columns, "teams")}
        assert not columns & {"quiet_start", "quiet_weekend", "after_hours_team_id"}
        assert "swaps" not in await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    await engine.dispose()


def _downgrade(connection: Any, revision: str) -> None:
    from alembic import command

    from bot.storage.migrations import alembic_config

    command.downgrade(alembic_config(connection), revision)


def _columns(connection: Any, table: str) -> list[dict[str, Any]]:
    return list(inspect(connection).get_columns(table))
