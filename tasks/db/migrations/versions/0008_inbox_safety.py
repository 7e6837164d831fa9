"""inbox safety: the database's identity, one run per inbox, reads abandoned mid-change

- database_instance: one row with an id made when the database is created, so a run can
  tell its database from one deleted and made again (or another one at the same URL).
- inbox_lease: the run reading an inbox, until when; a second run on it finds the lease.
- intake_file.unread_reason: why a file's records were not taken: it changed while it was
  read (left in the inbox, its read void), or it is not an intake file (moved to failed/).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instance = op.create_table(
        "database_instance",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name="pk_database_instance"),
    )
    op.bulk_insert(
        instance,
        [{"instance_id": str(uuid.uuid4()), "created_at": dt.datetime.now(dt.UTC)}],
    )
    op.create_table(
        "inbox_lease",
        sa.Column("inbox_key", sa.String(length=64), nullable=False),
        sa.Column("inbox", sa.Text(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("inbox_key", name="pk_inbox_lease"),
    )
    with op.batch_alter_table("intake_file") as batch_op:
        batch_op.add_column(sa.Column("unread_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intake_file") as batch_op:
        batch_op.drop_column("unread_reason")
    op.drop_table("inbox_lease")
    op.drop_table("database_instance")
