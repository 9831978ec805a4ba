"""Forum topics: the topic a team was created in, where its notices go.

``teams.thread_id`` is the ``message_thread_id`` of the forum topic ``/team new`` was typed in;
NULL for every existing team ("General", or a group without topics: where their notices have
always gone). A group upgraded to a supergroup needs no column: its rows move to the new chat
id (``Store.move_chat``).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("thread_id")
