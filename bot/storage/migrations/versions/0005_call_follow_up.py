"""Following calls to their end: outcome, follow-up schedule with leases, messages to edit.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("failure", sa.String(32)),
    ("outcome", sa.String(16)),
    ("finish_reason", sa.String(64)),
    ("duration_ms", sa.BigInteger()),
    ("finished_at", sa.DateTime()),
    ("next_check_at", sa.DateTime()),
    ("lease_owner", sa.String(64)),
    ("lease_until", sa.DateTime()),
    ("notice_message_id", sa.BigInteger()),
    ("caller_message_id", sa.BigInteger()),
    ("callee_message_id", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("polls", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_calls_next_check_at", "calls", ["next_check_at"])
    op.create_index("ix_calls_callee_created", "calls", ["callee_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_callee_created", table_name="calls")
    op.drop_index("ix_calls_next_check_at", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("polls")
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
