"""Teams and on-call: rosters, rotations, covers, pages; page attempts on calls.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _lease() -> list[sa.Column[Any]]:
    return [
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("page_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("connected_at", sa.DateTime(), nullable=True))
    op.create_index("ix_calls_page_id", "calls", ["page_id"])
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("rotation_kind", sa.String(length=8), nullable=True),
        sa.Column("hand_over", sa.String(length=5), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("anchor", sa.DateTime(), nullable=True),
        sa.Column("announced_member", sa.BigInteger(), nullable=True),
        sa.Column("warned_member", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        *_lease(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_teams_chat_id", "teams", ["chat_id"])
    op.create_index("ix_teams_next_check_at", "teams", ["next_check_at"])
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "telegram_id"),
    )
    op.create_table(
        "covers",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member", sa.BigInteger(), nullable=False),
        sa.Column("starts", sa.DateTime(), nullable=False),
        sa.Column("ends", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("paged_by", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("notice_message_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("current_call_id", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        *_lease(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_pages_chat_message"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pages_team_id", "pages", ["team_id"])
    op.create_index("ix_pages_next_check_at", "pages", ["next_check_at"])
    op.create_index("ix_pages_paged_by_created", "pages", ["paged_by", "created_at"])


def downgrade() -> None:
    op.drop_table("pages")
    op.drop_table("covers")
    op.drop_table("team_members")
    op.drop_index("ix_teams_next_check_at", table_name="teams")
    op.drop_index("ix_teams_chat_id", table_name="teams")
    op.drop_table("teams")
    op.drop_index("ix_calls_page_id", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("connected_at")
        batch.drop_column("page_id")
