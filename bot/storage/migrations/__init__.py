"""Alembic migrations of the bot's database, applied at start-up (see :func:`upgrade`)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

__all__ = [
    "FIRST_REVISION",
    "HEAD",
    "alembic_config",
    "current_revision",
    "head_revision",
    "known_revision",
    "upgrade",
]

FIRST_REVISION = "0001"
HEAD = "head"


def alembic_config(connection: Connection) -> Config:
    """An Alembic config that runs on ``connection`` with the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = HEAD) -> None:
    """Bring the schema to ``revision``.

    A database made by the first release (tables created directly, before migrations existed)
    has the first revision's schema: it is stamped as such, then upgraded like any other.
    """
    config = alembic_config(connection)
    tables = set(inspect(connection).get_table_names())
    if "users" in tables and "alembic_version" not in tables:
        command.stamp(config, FIRST_REVISION)
    command.upgrade(config, revision)


@functools.cache
def head_revision() -> str | None:
    """The revision this release's schema is at."""
    return ScriptDirectory(str(Path(__file__).parent)).get_current_head()


def known_revision(revision: str) -> bool:
    """``revision`` is one of this release's (an older database it upgrades), not a newer one's."""
    scripts = ScriptDirectory(str(Path(__file__).parent))
    return any(script.revision == revision for script in scripts.walk_revisions())


def current_revision(connection: Connection) -> str | None:
    """The revision the database says it is at (None: not managed by these migrations)."""
    return MigrationContext.configure(connection).get_current_revision()
