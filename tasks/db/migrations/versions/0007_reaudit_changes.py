"""reaudit_change: what a re-audit changed, claim-step by claim-step, kept in the database

A re-audit of a year of claims can change hundreds of thousands of claim-steps; they are
written as its chunks finish and read a page at a time, not held by the flow.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_STEPS = (
    "verification",
    "code_confirmation",
    "documentation",
    "coding_edits",
    "post_payment_audit",
)


def upgrade() -> None:
    op.create_table(
        "reaudit_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_key", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column(
            "step",
            sa.Enum(*_STEPS, name="step", native_enum=False),
            nullable=False,
        ),
        sa.Column("status_before", sa.String(length=16), nullable=False),
        sa.Column("status_after", sa.String(length=16), nullable=False),
        sa.Column("added", _JSON, nullable=False),
        sa.Column("removed", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.claim_id"], name="fk_reaudit_change_claim_id_claim"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reaudit_change"),
        sa.UniqueConstraint(
            "batch_key", "claim_id", "step", name="uq_reaudit_change_batch_key_claim_id_step"
        ),
    )


def downgrade() -> None:
    op.drop_table("reaudit_change")
