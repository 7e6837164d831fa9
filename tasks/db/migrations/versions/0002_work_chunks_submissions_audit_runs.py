"""work chunks, submissions, audit runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:18:36.424642
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "selection",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("rule_set_version", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_run")),
    )
    with op.batch_alter_table("audit_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_run_flow_run_id"), ["flow_run_id"], unique=False)

    op.create_table(
        "work_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_key", sa.String(length=64), nullable=False),
        sa.Column(
            "step",
            sa.Enum(
                "verification",
                "code_confirmation",
                "documentation",
                "coding_edits",
                "post_payment_audit",
                name="step",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column(
            "claim_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_chunk")),
        sa.UniqueConstraint(
            "batch_key", "step", "chunk_no", name=op.f("uq_work_chunk_batch_key_step_chunk_no")
        ),
    )
    with op.batch_alter_table("work_chunk", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_chunk_state_lease", ["state", "lease_expires_at"], unique=False
        )

    op.create_table(
        "claim_submission",
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.claim_id"], name=op.f("fk_claim_submission_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_claim_submission")),
    )


def downgrade() -> None:
    op.drop_table("claim_submission")
    with op.batch_alter_table("work_chunk", schema=None) as batch_op:
        batch_op.drop_index("ix_work_chunk_state_lease")

    op.drop_table("work_chunk")
    with op.batch_alter_table("audit_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_run_flow_run_id"))

    op.drop_table("audit_run")
