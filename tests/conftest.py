"""Shared fixtures, one of each.

Databases, one family: ``sqlite_url`` (a copy of an SQLite file migrated once per session),
``postgres_url`` (a database at the current schema on a throwaway PostgreSQL 15 server, started
once per session on loopback) and ``db_url``, the one that runs a test on both; ``empty_db_url``
and ``empty_postgres_url`` are the same without the schema (for the migrations and the processes
that make it themselves). One ``store`` over ``db_url``. ``clock`` and ``kv``: the Kavenegar
sandbox on a :class:`ManualClock` that only the test moves. ``world`` and ``any_world``: the
domain services of :mod:`tests.domain` on SQLite, and on both databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from bot.core.clock import ManualClock
from bot.storage import Store
from kavenegar.sandbox import KavenegarSandbox, SandboxClock

from .domain import World, make_world
from .helpers import KV_TOKEN, free_port, migrated_sqlite_template

# The entry points opt in to python-telegram-bot's timedelta values; the tests run the same way.
os.environ.setdefault("PTB_TIMEDELTA", "true")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """``postgresql+asyncpg://`` URL of a fresh cluster (the ``postgres`` user when run as root)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip(
            "PostgreSQL SERVER BINARIES (initdb, pg_ctl) NOT FOUND: PostgreSQL tests are skipped"
        )
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip(
                "RUNNING AS ROOT WITHOUT A 'postgres' SYSTEM USER: PostgreSQL tests skipped"
            )
        prefix = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="kcb-pg-"))
    if prefix:
        shutil.chown(root, user="postgres", group="postgres")
    data, port = root / "data", free_port()
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*prefix, *cmd], check=True, capture_output=True, text=True, cwd=root
    )
    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


async def _admin(server: str, sql: str) -> None:
    dsn = server.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(f"{dsn}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _database(server: str, template: str | None = None) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"{copy}'))
    yield f"{server}/{name}"
    asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the session's server, dropped afterwards.

    A plain (sync) fixture so that parametrized fixtures can ask for it by name.
    """
    yield from _database(postgres_server)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A database with every migration applied, made once: the template of migrated ones."""
    name = "migrated_template"
    asyncio.run(_admin(postgres_server, f'CREATE DATABASE "{name}"'))

    async def migrate() -> None:
        store = await Store.open(f"{postgres_server}/{name}")
        await store.close()

    asyncio.run(migrate())
    return name


@pytest.fixture
def postgres_url(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """A new database at the current schema (copied from the template: migrating is slow)."""
    yield from _database(postgres_server, postgres_template)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database at the current schema, copied from one migrated once per session
    (migrating is slow)."""
    path = tmp_path / "bot.db"
    shutil.copyfile(migrated_sqlite_template(), path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database at the current schema: on SQLite, then on PostgreSQL.

    A module may ask for other backends by indirect parametrization: ``sqlite`` alone, or
    ``memory`` (an in-memory SQLite database, migrated when the store opens it).
    """
    if request.param == "memory":
        return "sqlite+aiosqlite:///:memory:"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without any table yet: an SQLite file to be, then an empty PostgreSQL one."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("empty_postgres_url"))


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """The store, open on ``db_url``."""
    opened = await Store.open(db_url, timeout=1.0)
    yield opened
    await opened.close()


#: Where the sandbox's time stands unless a test moves it: Saturday 2026-11-28, 09:00 UTC.
SANDBOX_TIME = datetime(2026, 11, 28, 9, 0, 0)


@pytest.fixture
def clock() -> ManualClock:
    """The sandbox's clock, and the bot's where a test hands it over; only the test moves it."""
    return ManualClock(SANDBOX_TIME)


@pytest.fixture
async def kv(clock: ManualClock) -> AsyncIterator[KavenegarSandbox]:
    """The Kavenegar sandbox over loopback HTTP, on ``clock``."""
    async with KavenegarSandbox(api_token=KV_TOKEN, clock=SandboxClock(now=clock.now)) as box:
        yield box


@pytest.fixture
async def world(sqlite_url: str, kv: KavenegarSandbox) -> AsyncIterator[World]:
    """The domain services on SQLite (the bot's own clock: the real time)."""
    async for made in make_world(sqlite_url, kv):
        yield made


@pytest.fixture
async def any_world(db_url: str, kv: KavenegarSandbox) -> AsyncIterator[World]:
    """The domain services on SQLite, then on PostgreSQL."""
    async for made in make_world(db_url, kv):
        yield made
