"""The claim database's rules: append-only checkpoints, unique outcomes, validated JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from rules.outcomes import CheckpointStatus, Finding, Severity, Step
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tests import builders as b

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def checkpoint(attempt: int = 1, findings: list[Finding] | None = None) -> m.ClaimCheckpoint:
    return m.ClaimCheckpoint(
        claim_id="CL-1",
        step=Step.VERIFICATION,
        status=CheckpointStatus.HELD,
        findings=findings or [],
        rule_set_version="a" * 64,
        flow_run_id=None,
        attempt=attempt,
        started_at=NOW,
        finished_at=NOW,
    )


@pytest.fixture
def loaded(db: Engine, tmp_path: Path) -> Engine:
    load_file(db, b.write_jsonl(tmp_path / "day.jsonl", b.day()))
    return db


class TestClaimCheckpoint:
    def test_findings_round_trip_as_validated_models(self, loaded: Engine):
        """Findings go in as models and come back as models, with every field."""
        finding = Finding(
            rule_id="AUTH-001",
            severity=Severity.HELD,
            line_number=1,
            message="No authorization on file",
            evidence={"auth_number": None},
            fix="Request one",
            source="Payer manual 4.2",
        )
        with session_scope(loaded) as session:
            session.add(checkpoint(findings=[finding]))
        with session_scope(loaded) as session:
            row = session.scalars(select(m.ClaimCheckpoint)).one()
            assert row.findings == [finding]
            assert (row.step, row.status) == (Step.VERIFICATION, CheckpointStatus.HELD)

    def test_step_and_status_are_stored_by_value(self, loaded: Engine):
        """Enums are stored as their values, so the database reads like the rule files."""
        with session_scope(loaded) as session:
            session.add(checkpoint())
        with loaded.connect() as connection:
            assert connection.execute(text("SELECT step, status FROM claim_checkpoint")).one() == (
                "verification",
                "held",
            )

    def test_the_same_outcome_cannot_be_written_twice(self, loaded: Engine):
        """One claim, step, rule-set version and attempt has one row; a second is refused."""
        with session_scope(loaded) as session:
            session.add(checkpoint())
        with pytest.raises(IntegrityError), session_scope(loaded) as session:
            session.add(checkpoint())

    def test_a_new_attempt_is_a_new_row(self, loaded: Engine):
        """A forced re-check writes attempt 2 beside attempt 1: history is appended."""
        with session_scope(loaded) as session:
            session.add_all([checkpoint(1), checkpoint(2)])
        with session_scope(loaded) as session:
            assert session.scalars(select(m.ClaimCheckpoint.attempt)).all() == [1, 2]

    def test_findings_that_are_not_findings_are_refused(self, loaded: Engine):
        """The findings column validates what is written: a finding without a rule id fails."""
        with pytest.raises(StatementError), session_scope(loaded) as session:
            session.execute(
                insert(m.ClaimCheckpoint), [{**_row(), "findings": [{"severity": "held"}]}]
            )

    def test_checkpoint_needs_a_loaded_claim(self, loaded: Engine):
        """A checkpoint for a claim that does not exist is refused by the foreign key."""
        with pytest.raises(IntegrityError), session_scope(loaded) as session:
            row = checkpoint()
            row.claim_id = "CL-404"
            session.add(row)


class TestSessionNote:
    def test_elements_are_stored_as_json_and_read_as_a_model(self, loaded: Engine):
        """A note's structured elements come back typed, without empty fields stored."""
        with session_scope(loaded) as session:
            note = session.get_one(m.SessionNote, "NT-1")
            assert note.elements.diagnosis_codes == ["F33.1"]
            assert note.elements.group_size == 3
        with loaded.connect() as connection:
            raw = connection.execute(
                text("SELECT elements FROM session_note WHERE note_id = 'NT-1'")
            ).scalar_one()
        stored = raw if isinstance(raw, dict) else json.loads(raw)
        assert "complexity_factor" not in stored


def _row() -> dict[str, object]:
    return {
        "claim_id": "CL-1",
        "step": "verification",
        "status": "held",
        "rule_set_version": "b" * 64,
        "attempt": 1,
        "started_at": NOW,
        "finished_at": NOW,
    }
