"""On call the way teams ask for it (issue 22): quiet hours, after-hours escalation, swaps.

``teams.quiet_start`` / ``quiet_end``: the team's quiet hours, ``HH:MM`` local wall-clock times
in its zone (the span may cross midnight, ``22:00``-``08:00``); NULL: none (every existing team,
which pages at any hour as it always did). ``teams.quiet_urgent``: an ``urgent`` page still
calls in them; ``teams.quiet_weekend``: the weekend is quiet all day too (Thursday and Friday in
Iran's Saturday-first week, Saturday and Sunday elsewhere). ``teams.after_hours_team_id``: the
team a page in quiet hours goes to instead.

``covers``: several per team (that do not overlap: a swap's cover for a later shift beside the
one on now), each with its own ``id`` (the primary key, no longer ``team_id``, which is indexed);
existing covers are kept. Downgrading keeps the latest-starting cover of each team.

``swaps``: a request by the person on call (or due next) to be covered for one shift; taken by
one conditional update, expired at its deadline by one replica under a lease (``next_check_at``,
``lease_owner``, ``lease_until``, as every leased row).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("quiet_start", sa.String(5), nullable=True))
        batch.add_column(sa.Column("quiet_end", sa.String(5), nullable=True))
        batch.add_column(
            sa.Column("quiet_urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("quiet_weekend", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("after_hours_team_id", sa.Integer(), nullable=True))
    op.create_table(
        "swaps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("asked_by", sa.BigInteger(), nullable=False),
        sa.Column("asked_to", sa.BigInteger(), nullable=True),
        sa.Column("starts", sa.DateTime(), nullable=False),
        sa.Column("ends", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("taken_by", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("notice_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_swaps_team_id", "swaps", ["team_id"])
    op.create_index("ix_swaps_next_check_at", "swaps", ["next_check_at"])
    _covers_by_id()


_COVER_COLUMNS = "team_id, member, starts, ends, created_by"


def _covers_by_id() -> None:
    """``covers``: an ``id`` primary key instead of ``team_id`` (several covers per team)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE covers DROP CONSTRAINT covers_pkey")
        op.execute("ALTER TABLE covers ADD COLUMN id SERIAL PRIMARY KEY")
    else:  # SQLite: a new table, the rows copied
        op.create_table(
            "covers_new",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("team_id", sa.Integer(), nullable=False),
            sa.Column("member", sa.BigInteger(), nullable=False),
            sa.Column("starts", sa.DateTime(), nullable=False),
            sa.Column("ends", sa.DateTime(), nullable=False),
            sa.Column("created_by", sa.BigInteger(), nullable=False),
            sqlite_autoincrement=True,
        )
        op.execute(f"INSERT INTO covers_new ({_COVER_COLUMNS}) SELECT {_COVER_COLUMNS} FROM covers")
        op.drop_table("covers")
        op.rename_table("covers_new", "covers")
    op.create_index("ix_covers_team_id", "covers", ["team_id"])


def _covers_by_team() -> None:
    """Back to one cover per team (its latest-starting one), keyed by ``team_id``."""
    op.drop_index("ix_covers_team_id", table_name="covers")
    op.execute(
        "DELETE FROM covers WHERE EXISTS (SELECT 1 FROM covers later WHERE later.team_id = "
        "covers.team_id AND (later.starts > covers.starts OR (later.starts = covers.starts "
        "AND later.id > covers.id)))"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE covers DROP COLUMN id")
        op.execute("ALTER TABLE covers ADD CONSTRAINT covers_pkey PRIMARY KEY (team_id)")
    else:
        op.create_table(
            "covers_old",
            sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("member", sa.BigInteger(), nullable=False),
            sa.Column("starts", sa.DateTime(), nullable=False),
            sa.Column("ends", sa.DateTime(), nullable=False),
            sa.Column("created_by", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("team_id"),
        )
        op.execute(f"INSERT INTO covers_old ({_COVER_COLUMNS}) SELECT {_COVER_COLUMNS} FROM covers")
        op.drop_table("covers")
        op.rename_table("covers_old", "covers")


def downgrade() -> None:
    _covers_by_team()
    op.drop_index("ix_swaps_next_check_at", table_name="swaps")
    op.drop_index("ix_swaps_team_id", table_name="swaps")
    op.drop_table("swaps")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("after_hours_team_id")
        batch.drop_column("quiet_weekend")
        batch.drop_column("quiet_urgent")
        batch.drop_column("quiet_end")
        batch.drop_column("quiet_start")
