"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 18:22:47.600147
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records_in", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_file")),
    )
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_file_sha256"), ["sha256"], unique=False)

    op.create_table(
        "location",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "clinic",
                "fqhc",
                "rhc",
                "cmhc",
                "hospital_outpatient",
                "partial_hospitalization",
                name="locationkind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location")),
    )
    op.create_table(
        "patient",
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient")),
    )
    op.create_table(
        "payer",
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "medicare",
                "medicare_advantage",
                "medicaid_managed_care",
                "commercial",
                "bh_carveout",
                name="payerkind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", name=op.f("pk_payer")),
    )
    op.create_table(
        "provider",
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column(
            "credential",
            sa.Enum(
                "MD",
                "DO",
                "PhD",
                "PsyD",
                "LCSW",
                "LPC",
                "LMHC",
                "LMFT",
                "NP",
                "PA",
                name="credential",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("taxonomy", sa.String(length=10), nullable=False),
        sa.Column("license_state", sa.String(length=2), nullable=False),
        sa.Column("supervisor_npi", sa.String(length=10), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("npi", name=op.f("pk_provider")),
    )
    op.create_table(
        "authorization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("auth_number", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("prior_auth", "referral", name="authkind", native_enum=False),
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column(
            "procedure_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("units_approved", sa.Integer(), nullable=False),
        sa.Column("units_used", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("rendering_npi", sa.String(length=10), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.patient_id"], name=op.f("fk_authorization_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.payer_id"], name=op.f("fk_authorization_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization")),
        sa.UniqueConstraint(
            "payer_id", "auth_number", name=op.f("uq_authorization_payer_id_auth_number")
        ),
    )
    with op.batch_alter_table("authorization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "group_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column(
            "session_type",
            sa.Enum(
                "group_psychotherapy",
                "multiple_family_group",
                "family_with_patient",
                "family_without_patient",
                "individual",
                "psychoeducation",
                "support_group",
                "skills_class",
                "social_recreational",
                "partial_hospitalization_group",
                name="sessiontype",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "modality",
            sa.Enum("in_person", "video", "audio_only", name="modality", native_enum=False),
            nullable=False,
        ),
        sa.Column(
            "patient_location",
            sa.Enum("home", "facility", "other", name="patientlocation", native_enum=False),
            nullable=True,
        ),
        sa.Column(
            "facilitator_npis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_group_size", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.location_id"],
            name=op.f("fk_group_session_location_id_location"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_group_session")),
    )
    with op.batch_alter_table("group_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_session_service_date"), ["service_date"], unique=False
        )

    op.create_table(
        "intake_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_file_id", sa.Integer(), nullable=False),
        sa.Column("source_path", sa.String(length=1024), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("locator", sa.String(length=64), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=True),
        sa.Column("record_key", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_size_bytes", sa.Integer(), nullable=False),
        sa.Column("raw_truncated", sa.Boolean(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_file_id"],
            ["intake_file.id"],
            name=op.f("fk_intake_quarantine_intake_file_id_intake_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_quarantine")),
        sa.UniqueConstraint(
            "source_sha256", "locator", name=op.f("uq_intake_quarantine_source_sha256_locator")
        ),
    )
    with op.batch_alter_table("intake_quarantine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intake_quarantine_intake_file_id"), ["intake_file_id"], unique=False
        )

    op.create_table(
        "plan",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("covers_group_psychotherapy", sa.Boolean(), nullable=False),
        sa.Column("covers_telehealth", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.payer_id"], name=op.f("fk_plan_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plan")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "provider_enrollment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["npi"],
            ["provider.npi"],
            name=op.f("fk_provider_enrollment_npi_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.payer_id"], name=op.f("fk_provider_enrollment_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_enrollment")),
        sa.UniqueConstraint(
            "npi",
            "payer_id",
            "effective_from",
            name=op.f("uq_provider_enrollment_npi_payer_id_effective_from"),
        ),
    )
    op.create_table(
        "coverage",
        sa.Column("coverage_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column(
            "bh_benefit",
            sa.Enum("plan", "carved_out", "none", name="bhbenefit", native_enum=False),
            nullable=False,
        ),
        sa.Column("carveout_payer_id", sa.String(length=64), nullable=True),
        sa.Column("copay", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("coinsurance_pct", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("deductible", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("deductible_met", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["carveout_payer_id"],
            ["payer.payer_id"],
            name=op.f("fk_coverage_carveout_payer_id_payer"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.patient_id"], name=op.f("fk_coverage_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.plan_id"], name=op.f("fk_coverage_plan_id_plan")
        ),
        sa.PrimaryKeyConstraint("coverage_id", name=op.f("pk_coverage")),
    )
    with op.batch_alter_table("coverage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "session_note",
        sa.Column("note_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("author_npi", sa.String(length=10), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column(
            "elements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.patient_id"], name=op.f("fk_session_note_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_session.session_id"],
            name=op.f("fk_session_note_session_id_group_session"),
        ),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_session_note")),
        sa.UniqueConstraint(
            "session_id", "patient_id", name=op.f("uq_session_note_session_id_patient_id")
        ),
    )
    op.create_table(
        "session_participant",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.patient_id"],
            name=op.f("fk_session_participant_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_session.session_id"],
            name=op.f("fk_session_participant_session_id_group_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "position", name=op.f("pk_session_participant")),
    )
    with op.batch_alter_table("session_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_participant_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "claim",
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("claim_date", sa.Date(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("coverage_id", sa.String(length=64), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("billing_npi", sa.String(length=10), nullable=False),
        sa.Column("rendering_npi", sa.String(length=10), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column(
            "frequency_code",
            sa.Enum("1", "7", "8", name="frequencycode", native_enum=False),
            nullable=False,
        ),
        sa.Column("payer_claim_control_number", sa.String(length=50), nullable=True),
        sa.Column("prior_auth_number", sa.String(length=64), nullable=True),
        sa.Column("referral_number", sa.String(length=64), nullable=True),
        sa.Column(
            "diagnoses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total_charge", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("intake_file_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverage.coverage_id"], name=op.f("fk_claim_coverage_id_coverage")
        ),
        sa.ForeignKeyConstraint(
            ["intake_file_id"], ["intake_file.id"], name=op.f("fk_claim_intake_file_id_intake_file")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.location_id"], name=op.f("fk_claim_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.patient_id"], name=op.f("fk_claim_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.payer_id"], name=op.f("fk_claim_payer_id_payer")
        ),
        sa.ForeignKeyConstraint(
            ["rendering_npi"], ["provider.npi"], name=op.f("fk_claim_rendering_npi_provider")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_session.session_id"],
            name=op.f("fk_claim_session_id_group_session"),
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_claim")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_patient_service_date", ["patient_id", "service_date"], unique=False
        )
        batch_op.create_index(
            "ix_claim_payer_service_date", ["payer_id", "service_date"], unique=False
        )
        batch_op.create_index("ix_claim_session_id", ["session_id"], unique=False)

    op.create_table(
        "claim_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
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
        sa.Column(
            "status",
            sa.Enum(
                "passed",
                "warning",
                "held",
                "error",
                "skipped",
                name="checkpointstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "findings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rule_set_version", sa.String(length=64), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.claim_id"], name=op.f("fk_claim_checkpoint_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_checkpoint")),
        sa.UniqueConstraint(
            "claim_id",
            "step",
            "rule_set_version",
            "attempt",
            name=op.f("uq_claim_checkpoint_claim_id_step_rule_set_version_attempt"),
        ),
    )
    with op.batch_alter_table("claim_checkpoint", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_checkpoint_claim_step_time", ["claim_id", "step", "finished_at"], unique=False
        )
        batch_op.create_index(
            "ix_claim_checkpoint_step_status_time", ["step", "status", "finished_at"], unique=False
        )

    op.create_table(
        "claim_line",
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("modifier_1", sa.String(length=2), nullable=True),
        sa.Column("modifier_2", sa.String(length=2), nullable=True),
        sa.Column("modifier_3", sa.String(length=2), nullable=True),
        sa.Column("modifier_4", sa.String(length=2), nullable=True),
        sa.Column("units", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("charge", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "diagnosis_pointers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("place_of_service", sa.String(length=2), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("line_control_number", sa.String(length=50), nullable=True),
        sa.Column("rendering_npi", sa.String(length=10), nullable=True),
        sa.Column("prior_auth_number", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.claim_id"],
            name=op.f("fk_claim_line_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "line_number", name=op.f("pk_claim_line")),
    )
    with op.batch_alter_table("claim_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_line_code_date", ["procedure_code", "service_date"], unique=False
        )

    op.create_table(
        "checkpoint_finding",
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["claim_checkpoint.id"],
            name=op.f("fk_checkpoint_finding_checkpoint_id_claim_checkpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", "position", name=op.f("pk_checkpoint_finding")),
    )
    with op.batch_alter_table("checkpoint_finding", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkpoint_finding_rule_severity", ["rule_id", "severity"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkpoint_finding", schema=None) as batch_op:
        batch_op.drop_index("ix_checkpoint_finding_rule_severity")

    op.drop_table("checkpoint_finding")
    with op.batch_alter_table("claim_line", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_line_code_date")

    op.drop_table("claim_line")
    with op.batch_alter_table("claim_checkpoint", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_checkpoint_step_status_time")
        batch_op.drop_index("ix_claim_checkpoint_claim_step_time")

    op.drop_table("claim_checkpoint")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_session_id")
        batch_op.drop_index("ix_claim_payer_service_date")
        batch_op.drop_index("ix_claim_patient_service_date")

    op.drop_table("claim")
    with op.batch_alter_table("session_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_participant_patient_id"))

    op.drop_table("session_participant")
    op.drop_table("session_note")
    with op.batch_alter_table("coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_patient_id"))

    op.drop_table("coverage")
    op.drop_table("provider_enrollment")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_payer_id"))

    op.drop_table("plan")
    with op.batch_alter_table("intake_quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_quarantine_intake_file_id"))

    op.drop_table("intake_quarantine")
    with op.batch_alter_table("group_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_session_service_date"))

    op.drop_table("group_session")
    with op.batch_alter_table("authorization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_patient_id"))

    op.drop_table("authorization")
    op.drop_table("provider")
    op.drop_table("payer")
    op.drop_table("patient")
    op.drop_table("location")
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_file_sha256"))

    op.drop_table("intake_file")
