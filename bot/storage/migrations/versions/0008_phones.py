"""Verified phone numbers, and the endpoint registrations they start.

- ``users.phone`` (E.164, unique: one account per number) and ``users.phone_verified_at``.
  Existing people keep everything they had; they have no number yet, so with
  ``REQUIRE_PHONE=true`` they are asked for one before their next call, and their Kavenegar
  username stays the one they had until they share it.
- ``endpoint_registrations``: a ``POST /endpoints`` still to make, retried under a lease.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("phone_verified_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_users_phone", ["phone"])
    op.create_table(
        "endpoint_registrations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_endpoint_registrations_next_check_at", "endpoint_registrations", ["next_check_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_endpoint_registrations_next_check_at", table_name="endpoint_registrations")
    op.drop_table("endpoint_registrations")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_phone", type_="unique")
        batch.drop_column("phone_verified_at")
        batch.drop_column("phone")
