"""Intake: every record in is loaded or quarantined with its reasons, and loading is idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, event, func, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file, load_paths
from tests import builders as b


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def quarantine_rows(engine: Engine) -> list[m.IntakeQuarantine]:
    with session_scope(engine) as session:
        return list(session.scalars(select(m.IntakeQuarantine).order_by(m.IntakeQuarantine.id)))


class TestAuthorizationsByPayer:
    """An authorization is known by its payer and number: two payers may issue the same number."""

    def _two_payers(self, units: int = 3) -> list[dict[str, object]]:
        return [
            *b.master(),
            b.payer(payer_id="harbor", name="Harbor Health"),
            b.authorization(payer_id="harbor", units_used=units),
        ]

    def test_the_same_number_from_two_payers_is_two_authorizations(
        self, db: Engine, tmp_path: Path
    ):
        report = load_file(db, b.write_jsonl(tmp_path / "a.jsonl", self._two_payers()))
        assert report.quarantined == 0
        assert count(db, m.Authorization) == 2

    def test_reloading_finds_each_payers_authorization(self, db: Engine, tmp_path: Path):
        """Sent again, both are unchanged; a change to one payer's updates that row only."""
        load_file(db, b.write_jsonl(tmp_path / "a.jsonl", self._two_payers()))
        again = load_file(db, b.write_jsonl(tmp_path / "b.jsonl", self._two_payers()))
        assert (again.counts["unchanged"], again.counts["update"]) == (again.records_in, 0)
        changed = load_file(db, b.write_jsonl(tmp_path / "c.jsonl", self._two_payers(units=9)))
        assert changed.counts["update"] == 1
        with session_scope(db) as session:
            rows = session.execute(select(m.Authorization.payer_id, m.Authorization.units_used))
            used = {payer: units for payer, units in rows}
        assert used == {"keystone": 3, "harbor": 9}

    def test_lookups_use_the_payer_and_number_index(self, sqlite_db: Engine, tmp_path: Path):
        """Every batch looks its authorizations up; a table scan there made loading grow as N²."""
        statements: list[tuple[str, object]] = []

        def keep(_conn, _cursor, statement, parameters, _context, executemany):  # type: ignore[no-untyped-def]
            if not executemany and statement.lstrip().startswith("SELECT"):
                statements.append((statement, parameters))

        event.listen(sqlite_db, "before_cursor_execute", keep)
        load_file(sqlite_db, b.write_jsonl(tmp_path / "a.jsonl", self._two_payers()))
        event.remove(sqlite_db, "before_cursor_execute", keep)
        lookups = [(s, p) for s, p in statements if "FROM authorization" in s]
        assert lookups, "the loader did not look authorizations up"
        with sqlite_db.connect() as connection:
            for statement, parameters in lookups:
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                details = [row[3] for row in plan]
                assert not any(d.startswith("SCAN authorization") for d in details), details


class TestLoadingADay:
    def test_loads_every_record_of_a_clean_day(self, db: Engine, tmp_path: Path):
        """A clean file loads in full and its counts reconcile."""
        report = load_file(db, b.write_jsonl(tmp_path / "day.jsonl", b.day()))
        assert (report.records_in, report.counts["insert"], report.quarantined) == (18, 18, 0)
        assert report.reconciles
        assert count(db, m.Claim) == 3
        assert count(db, m.ClaimLine) == 3
        assert count(db, m.SessionParticipant) == 3
        assert report.claims_by_payer == {"keystone": 3}

    def test_round_trip_keeps_claim_fields(self, db: Engine, tmp_path: Path):
        """What is loaded reads back as it was sent: codes, modifiers, units, charge, pointers."""
        claim = b.claim(
            1, lines=[b.line(modifiers=["95", "HQ"], charge="95.50")], prior_auth_number="PA-100"
        )
        load_file(db, b.write_jsonl(tmp_path / "day.jsonl", [*b.master(), b.session(), claim]))
        with session_scope(db) as session:
            row = session.get_one(m.Claim, "CL-1")
            line = session.get_one(m.ClaimLine, ("CL-1", 1))
            assert (row.prior_auth_number, row.diagnoses, str(row.total_charge)) == (
                "PA-100",
                ["F33.1"],
                "95.50",
            )
            assert (line.modifier_1, line.modifier_2, line.modifier_3) == ("95", "HQ", None)
            assert (str(line.units), line.diagnosis_pointers) == ("1.00", [1])

    def test_the_same_file_twice_adds_nothing(self, db: Engine, tmp_path: Path):
        """A second load of the same file finds every record unchanged and writes no rows."""
        path = b.write_jsonl(tmp_path / "day.jsonl", [*b.day(), b"{not json"])
        load_file(db, path)
        second = load_file(db, path)
        assert (second.counts["unchanged"], second.counts["insert"], second.quarantined) == (
            18,
            0,
            1,
        )
        assert count(db, m.Claim) == 3
        assert count(db, m.IntakeQuarantine) == 1

    def test_same_record_with_keys_in_another_order_is_unchanged(self, db: Engine, tmp_path: Path):
        """Content, not key order or spacing, decides whether a record is new."""
        load_file(db, b.write_jsonl(tmp_path / "a.jsonl", b.day()))
        reordered = [
            json.dumps(dict(reversed(list(r.items()))), indent=None).encode() for r in b.day()
        ]
        report = load_file(db, b.write_jsonl(tmp_path / "b.jsonl", reordered))
        assert report.counts["unchanged"] == 18

    def test_master_data_update_replaces_the_row(self, db: Engine, tmp_path: Path):
        """A newer authorization (more units used) updates the row instead of being refused."""
        load_file(db, b.write_jsonl(tmp_path / "a.jsonl", b.master()))
        report = load_file(
            db, b.write_jsonl(tmp_path / "b.jsonl", [b.authorization(units_used=20)])
        )
        assert report.counts["update"] == 1
        with session_scope(db) as session:
            assert session.scalars(select(m.Authorization.units_used)).one() == 20

    def test_provider_update_replaces_enrollments(self, db: Engine, tmp_path: Path):
        """A provider sent again with other enrollments keeps only the new ones."""
        load_file(db, b.write_jsonl(tmp_path / "a.jsonl", b.master()))
        newer = b.provider(enrollments=[{"payer_id": "keystone", "effective_from": "2025-01-01"}])
        load_file(db, b.write_jsonl(tmp_path / "b.jsonl", [newer]))
        with session_scope(db) as session:
            starts = session.scalars(select(m.ProviderEnrollment.effective_from)).all()
        assert [str(d) for d in starts] == ["2025-01-01"]

    def test_references_later_in_the_file_are_resolved(self, db: Engine, tmp_path: Path):
        """A claim that comes before its patient in the file still loads."""
        records = list(reversed(b.day()))
        report = load_file(db, b.write_jsonl(tmp_path / "day.jsonl", records))
        assert report.quarantined == 0
        assert count(db, m.Claim) == 3

    def test_folder_loads_files_in_name_order(self, db: Engine, tmp_path: Path):
        """A folder's packet files load by name, so master data named 00-… comes first."""
        b.write_jsonl(tmp_path / "00-master.jsonl", b.master())
        b.write_jsonl(tmp_path / "packet.jsonl", [b.session(), b.claim(1)])
        (tmp_path / "notes.txt").write_text("not a packet")
        reports = load_paths(db, [tmp_path])
        assert [Path(r.path).name for r in reports] == ["00-master.jsonl", "packet.jsonl"]
        assert sum(r.quarantined for r in reports) == 0

    def test_json_document_with_a_list_of_records(self, db: Engine, tmp_path: Path):
        """A .json file may hold {"records": [...]}; each item is a record."""
        path = tmp_path / "day.json"
        path.write_text(json.dumps({"records": b.day()}))
        report = load_file(db, path)
        assert (report.records_in, report.loaded) == (18, 18)
