"""drop ix_claim_checkpoint_step_status_time: no query needs it, and it misled PostgreSQL

The index led with the step. No query reads checkpoints by step and status in time order
(the stuck-claims monitor reads each claim's newest checkpoints), but PostgreSQL chose it
for `claim_id = ? AND step = ?` whenever its statistics predated the step's rows: the first
post-payment audits made each claim's lookup read every audit (tests/tasks/db/test_plans.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_claim_checkpoint_step_status_time", table_name="claim_checkpoint")


def downgrade() -> None:
    op.create_index(
        "ix_claim_checkpoint_step_status_time",
        "claim_checkpoint",
        ["step", "status", "finished_at"],
        unique=False,
    )
