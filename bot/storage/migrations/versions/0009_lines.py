"""Support lines: the teams open to newcomers, newcomers' requests, and the offers to members.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lines",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=True),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "line_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_key", sa.Integer(), nullable=True),
        sa.Column("tried", sa.Text(), nullable=False),
        sa.Column("current_offer_id", sa.Integer(), nullable=True),
        sa.Column("accepted_by", sa.BigInteger(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "newcomer_id", "open_key", name="uq_line_requests_open"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_line_requests_team_id", "line_requests", ["team_id"])
    op.create_index("ix_line_requests_newcomer_id", "line_requests", ["newcomer_id"])
    op.create_index("ix_line_requests_next_check_at", "line_requests", ["next_check_at"])
    op.create_table(
        "line_offers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_line_offers_request_id", "line_offers", ["request_id"])
    op.create_index(
        "uq_line_offers_member_open",
        "line_offers",
        ["member_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_line_offers_member_id", "line_offers", ["member_id"])


def downgrade() -> None:
    op.drop_index("uq_line_offers_member_open", table_name="line_offers")
    op.drop_index("ix_line_offers_member_id", table_name="line_offers")
    op.drop_index("ix_line_offers_request_id", table_name="line_offers")
    op.drop_table("line_offers")
    op.drop_index("ix_line_requests_next_check_at", table_name="line_requests")
    op.drop_index("ix_line_requests_newcomer_id", table_name="line_requests")
    op.drop_index("ix_line_requests_team_id", table_name="line_requests")
    op.drop_table("line_requests")
    op.drop_table("lines")
