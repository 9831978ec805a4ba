"""The join page (issue 23): ``join_handles`` maps the SHA-256 of each call's random join
handle to the call. The handle itself is only ever in the Join button's URL.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "join_handles",
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("handle_hash"),
    )
    op.create_index("ix_join_handles_call_id", "join_handles", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_join_handles_call_id", table_name="join_handles")
    op.drop_table("join_handles")
