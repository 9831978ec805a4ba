"""Shared fixtures: a throwaway PostgreSQL 15 server on loopback, started once per session."""

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
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from .helpers import free_port

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
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the session's server, dropped afterwards.

    A plain (sync) fixture so that parametrized fixtures can ask for it by name.
    """
    yield from _database(postgres_server)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A database with every migration applied, made once: the template of migrated ones."""
    from bot.storage import Store

    name = "migrated_template"
    asyncio.run(_admin(postgres_server, f'CREATE DATABASE "{name}"'))

    async def migrate() -> None:
        store = await Store.open(f"{postgres_server}/{name}")
        await store.close()

    asyncio.run(migrate())
    return name


@pytest.fixture
def migrated_postgres_url(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """A new database at the current schema (copied from the template: migrating is slow)."""
    yield from _database(postgres_server, postgres_template)
