"""an index on claim.coverage_id: remittance matching finds a member's claims through it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claim_coverage_id", "claim", ["coverage_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_claim_coverage_id", table_name="claim")
