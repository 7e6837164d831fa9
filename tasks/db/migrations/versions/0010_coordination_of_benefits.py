"""coordination of benefits: a coverage's order of benefits, a claim's prior payer;
a location's Medicare locality

- coverage.benefit_order: primary, secondary or tertiary, as on file (default primary).
- claim.prior_payer_id, claim.prior_payer_paid: on a claim to a later payer, the payer
  that adjudicated first and what it paid (837P 2330B NM1*PR and 2320 AMT*D).
- location.medicare_locality: MAC-locality (CMS GPCI file), for the locality's GPCIs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ORDER = sa.Enum(
    "primary", "secondary", "tertiary", name="benefitorder", native_enum=False,
    create_constraint=False, length=9,
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("medicare_locality", sa.String(length=8), nullable=True))
    with op.batch_alter_table("coverage") as batch_op:
        batch_op.add_column(
            sa.Column("benefit_order", _ORDER, nullable=False, server_default="primary")
        )
    with op.batch_alter_table("claim") as batch_op:
        batch_op.add_column(sa.Column("prior_payer_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("prior_payer_paid", sa.Numeric(precision=10, scale=2), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("claim") as batch_op:
        batch_op.drop_column("prior_payer_paid")
        batch_op.drop_column("prior_payer_id")
    with op.batch_alter_table("coverage") as batch_op:
        batch_op.drop_column("benefit_order")
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("medicare_locality")
