"""Consent that survives /forget, unbounded call ids, and the health-check heartbeat.

- ``users.started``: the person pressed Start since the record was made; only then may they be
  called. Existing people who could be written to had pressed Start, so it starts as ``dm_open``.
- ``uncallable_people``: an admin's "may not be called", keyed by Telegram id so that it outlives
  the person's record (``/forget`` then ``/start`` used to wipe it). Moved out of ``users``.
- ``calls.kavenegar_call_id`` becomes TEXT: Kavenegar does not bound its ids, and a long one
  must never make the record of a paid call fail.
- ``heartbeat``: the row ``/healthz`` writes to prove the database takes writes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uncallable_people",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id"),
    )
    op.execute(
        "INSERT INTO uncallable_people (telegram_id, changed_by, changed_at) "
        "SELECT telegram_id, NULL, updated_at FROM users WHERE uncallable"
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("started", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE users SET started = dm_open")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("uncallable")
    with op.batch_alter_table("calls") as batch:
        batch.alter_column(
            "kavenegar_call_id",
            type_=sa.Text(),
            existing_type=sa.String(64),
            existing_nullable=True,
        )
    op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat")
    with op.batch_alter_table("calls") as batch:
        batch.alter_column(
            "kavenegar_call_id",
            type_=sa.String(64),
            existing_type=sa.Text(),
            existing_nullable=True,
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("uncallable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE users SET uncallable = TRUE "
        "WHERE telegram_id IN (SELECT telegram_id FROM uncallable_people)"
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("started")
    op.drop_table("uncallable_people")
