"""Access rules, consent flags, "answered once" notices, and an index for quotas.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("dnd", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column("uncallable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "access_rules",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject_id"),
    )
    op.create_table(
        "access_notices",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("noticed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_index("ix_calls_caller_created", "calls", ["caller_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_caller_created", table_name="calls")
    op.drop_table("access_notices")
    op.drop_table("access_rules")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("uncallable")
        batch.drop_column("dnd")
