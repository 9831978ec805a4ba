"""One running page per team (a second /page joins it), and what a page needs to end well.

``uq_pages_team_running``: a partial unique index on ``pages(team_id)`` of the active pages, so
that two replicas (or two people at the same moment) cannot start two escalations of one team.
``pages.joins`` holds who paged the team again while it ran, and ``pages.team_name`` the team's
name, so that a page whose team was deleted still ends with its name.

A database that already has several active pages of one team (the fault this revision
removes) keeps the oldest of each team running; the others are stopped (``stopped``, nothing
due) before the index is built.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("team_name", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("joins", sa.Text(), nullable=True))
    op.execute(
        "UPDATE pages SET status = 'stopped', next_check_at = NULL, lease_owner = NULL,"
        " lease_until = NULL"
        " WHERE status = 'active' AND id NOT IN"
        " (SELECT MIN(id) FROM pages WHERE status = 'active' GROUP BY team_id)"
    )
    op.create_index(
        "uq_pages_team_running",
        "pages",
        ["team_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_index("uq_pages_team_running", table_name="pages")
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("joins")
        batch.drop_column("team_name")
