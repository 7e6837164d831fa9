"""what was said of a file and of a payment that was read as meant; unknown credentials

- intake_file.notes: what reading a file noted without refusing anything (bytes after the
  last IEA, HL ids that do not start at 1).
- remittance_payment.warnings: implementation-guide rules an 835 set breaks that leave its
  money readable (an address, a contact, a code); the payment is posted and they are said.
- provider.credential may be unknown: a provider first seen in an 837P under a taxonomy
  that does not say it (251S00000X), or with none (PRV is situational); step 1 holds its
  claims until it is added. provider.taxonomy may be absent for the same reason.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CREDENTIAL = sa.Enum(
    "MD", "DO", "PhD", "PsyD", "LCSW", "LPC", "LMHC", "LMFT", "NP", "PA",
    name="credential", native_enum=False,
)  # fmt: skip
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("intake_file") as batch_op:
        batch_op.add_column(sa.Column("notes", _JSON, nullable=True))
    with op.batch_alter_table("remittance_payment") as batch_op:
        batch_op.add_column(sa.Column("warnings", _JSON, nullable=True))
    with op.batch_alter_table("provider") as batch_op:
        batch_op.alter_column("credential", existing_type=_CREDENTIAL, nullable=True)
        batch_op.alter_column("taxonomy", existing_type=sa.String(length=10), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("provider") as batch_op:
        batch_op.alter_column("credential", existing_type=_CREDENTIAL, nullable=False)
        batch_op.alter_column("taxonomy", existing_type=sa.String(length=10), nullable=False)
    with op.batch_alter_table("remittance_payment") as batch_op:
        batch_op.drop_column("warnings")
    with op.batch_alter_table("intake_file") as batch_op:
        batch_op.drop_column("notes")
