"""The first released schema: users and calls.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=256), nullable=False),
        sa.Column("last_name", sa.String(length=256), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("kavenegar_username", sa.String(length=50), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("dm_open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id"),
        sa.UniqueConstraint("kavenegar_username"),
    )
    op.create_index("ix_users_username", "users", ["username"])
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("caller_id", sa.BigInteger(), nullable=False),
        sa.Column("callee_id", sa.BigInteger(), nullable=False),
        sa.Column("max_duration", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kavenegar_call_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("caller_delivery", sa.String(length=32), nullable=True),
        sa.Column("callee_delivery", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_calls_chat_message"),
    )
    op.create_index("ix_calls_caller_id", "calls", ["caller_id"])


def downgrade() -> None:
    op.drop_index("ix_calls_caller_id", table_name="calls")
    op.drop_table("calls")
    op.drop_index("ix_users_username", table_name="users")
    op.drop_table("users")
