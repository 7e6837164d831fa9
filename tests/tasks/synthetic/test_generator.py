"""The synthetic generator: deterministic, exact in size, and honest about what it planted.

An independent reading of the generated records (the `planted` oracle below) must find
exactly the defects the ground-truth file lists, and none on the claims it calls clean.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.synthetic import catalog as cat
from tasks.synthetic.defects import Defect, parse_rates
from tasks.synthetic.generator import GeneratorConfig, generate

HIGH_RATES = {d: 0.04 for d in Defect}


def read_records(out: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(out.glob("*.jsonl")):
        for raw in path.read_bytes().splitlines():
            try:
                records.append(json.loads(raw))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
    return records


def truth(out: Path) -> set[tuple[str, str]]:
    with (out / "ground-truth" / "ground_truth.csv").open() as handle:
        return {(row["claim_id"], row["defect"]) for row in csv.DictReader(handle)}


def planted(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Find every defect by reading the records, without asking the generator."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_type[record["type"]].append(record)
    patients = {p["patient_id"]: p for p in by_type["patient"]}
    coverage = {c["coverage_id"]: c for c in by_type["coverage"]}
    auths = {a["auth_number"]: a for a in by_type["authorization"]}
    sessions = {s["session_id"]: s for s in by_type["group_session"]}
    notes = {(n["session_id"], n["patient_id"]): n for n in by_type["note"]}
    plan_payer = {p.plan_id: p for p in cat.PLANS}
    found: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for claim in by_type["claim"]:
        if claim["claim_id"].count("-BAD"):
            continue
        cid, session = claim["claim_id"], sessions[claim["session_id"]]
        note = notes[(claim["session_id"], claim["patient_id"])]
        cov = coverage[claim["coverage_id"]]
        spec = plan_payer[cov["plan_id"]]
        carved = cov["bh_benefit"] == "carved_out"
        codes = {ln["procedure_code"]: ln for ln in claim["lines"]}
        session_line = codes.get("90853") or codes.get("H0004") or claim["lines"][0]
        dos = claim["lines"][0]["service_date"]
        key = (claim["patient_id"], claim["session_id"])
        frequency = claim.get("frequency_code", "1")
        checks = {
            Defect.DUPLICATE_CLAIM: frequency == "1" and key in seen,
            Defect.COVERAGE_LAPSED: cov["effective_to"] is not None and cov["effective_to"] < dos,
            Defect.CARVEOUT_BILLED_TO_PLAN: carved and claim["payer_id"] != cat.CARVEOUT_PAYER,
            Defect.AUTH_MISSING: (carved or spec.requires_auth)
            and "prior_auth_number" not in claim,
            Defect.AUTH_EXPIRED: auths.get(claim.get("prior_auth_number"), {}).get(
                "end_date", "9999"
            )
            < dos,
            Defect.AUTH_EXHAUSTED: _exhausted(auths.get(claim.get("prior_auth_number"))),
            Defect.WRONG_CODE_FOR_SESSION_TYPE: session["session_type"]
            != ("multiple_family_group" if "90849" in codes else "group_psychotherapy"),
            Defect.GROUP_OVER_MAX: len(session["roster"]) > 12,
            Defect.Z_CODE_PRIMARY: claim["diagnoses"][0].startswith("Z"),
            Defect.EXCESS_UNITS: float(session_line["units"]) > 1,
            Defect.NCCI_PAIR_WITHOUT_MODIFIER: "90832" in codes and not codes["90832"]["modifiers"],
            Defect.ADDON_WITHOUT_FACTOR: "90785" in codes
            and "complexity_factor" not in note["elements"],
            Defect.TELEHEALTH_MODIFIER_WRONG: "GT" in session_line["modifiers"],
            Defect.MEDICARE_CODE_NOT_PAYABLE: claim["payer_id"] == "medicare" and "H0004" in codes,
            Defect.TELEHEALTH_POS_WRONG: _wrong_pos(session, claim),
            Defect.MISSING_NOTE_ELEMENT: _missing_element(note),
            Defect.COMEMBER_NAMED_IN_NOTE: _names_comember(note, session, patients),
            Defect.CLONED_NOTE: _cloned(note, session, notes),
            Defect.DIAGNOSIS_NOT_DOCUMENTED: any(
                d.startswith("F") and d not in note["elements"].get("diagnosis_codes", [])
                for d in claim["diagnoses"]
            ),
            Defect.MEDICAID_BILLED_FIRST: claim["payer_id"].endswith("_medicaid")
            and "prior_payer_paid" not in claim
            and any(
                c["plan_id"] == "medicare_part_b"
                and c["effective_from"] <= dos <= (c["effective_to"] or "9999")
                for c in by_type["coverage"]
                if c["patient_id"] == claim["patient_id"]
            ),
        }
        if frequency == "8":
            seen.discard(key)  # a void withdraws the claim: billing it again is no duplicate
        else:
            seen.add(key)
        found |= {(cid, defect.value) for defect, hit in checks.items() if hit}
    return found


def _exhausted(auth: dict[str, Any] | None) -> bool:
    return auth is not None and auth["units_used"] >= auth["units_approved"]


def _wrong_pos(session: dict[str, Any], claim: dict[str, Any]) -> bool:
    if session["modality"] == "in_person":
        return False
    return claim["place_of_service"] != ("10" if session["patient_location"] == "home" else "02")


def _missing_element(note: dict[str, Any]) -> bool:
    required = (
        "treatment_plan_goal",
        "participation",
        "response",
        "intervention",
        "medical_necessity",
        "therapeutic_focus",
        "start_time",
    )
    return any(name not in note["elements"] for name in required)


def _names_comember(
    note: dict[str, Any], session: dict[str, Any], patients: dict[str, Any]
) -> bool:
    me = patients[note["patient_id"]]
    others = [patients[p] for p in session["roster"] if p != note["patient_id"]]
    if session["session_type"] == "multiple_family_group":  # the patient's own family
        others = [p for p in others if p["last_name"] != me["last_name"]]
    text = note["elements"].get("participation", "")
    return any(f"{p['first_name']} {p['last_name']}" in text for p in others)


def _cloned(
    note: dict[str, Any], session: dict[str, Any], notes: dict[tuple[str, str], Any]
) -> bool:
    mine = (
        note["elements"].get("participation", "").split("; responded")[0],
        note["elements"].get("response"),
    )
    for other in session["roster"]:
        peer = notes.get((session["session_id"], other))
        if other != note["patient_id"] and peer is not None:
            theirs = (
                peer["elements"].get("participation", "").split("; responded")[0],
                peer["elements"].get("response"),
            )
            if theirs == mine:
                return True
    return False


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(GeneratorConfig(seed=11, claims=3000, days=14, rates=HIGH_RATES, malformed=10), out)
    return out


class TestDeterminism:
    def test_same_seed_same_bytes(self, tmp_path: Path):
        """Two runs with one seed write identical files."""
        for name in ("a", "b"):
            generate(GeneratorConfig(seed=5, claims=400, days=7), tmp_path / name)
        files = sorted(
            p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
        )
        assert files
        for rel in files:
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel

    def test_another_seed_other_data(self, tmp_path: Path):
        """Another seed gives other people and other claim ids."""
        generate(GeneratorConfig(seed=5, claims=100), tmp_path / "a")
        generate(GeneratorConfig(seed=6, claims=100), tmp_path / "b")
        day = "packet-2026-11-02.jsonl"
        assert (tmp_path / "a" / day).read_bytes() != (tmp_path / "b" / day).read_bytes()


class TestShape:
    @pytest.mark.parametrize("claims", [1, 7, 250])
    def test_makes_exactly_the_claims_asked(self, tmp_path: Path, claims: int):
        """The generator stops at the number of claims asked for, duplicates included."""
        generate(GeneratorConfig(seed=3, claims=claims, rates=HIGH_RATES), tmp_path)
        assert sum(r["type"] == "claim" for r in read_records(tmp_path)) == claims

    def test_spreads_claims_over_the_days_with_weekly_groups(self, generated: Path):
        """Over 14 days each group meets on one weekday a week, and nobody is billed twice a day."""
        records = read_records(generated)
        dates = {r["service_date"] for r in records if r["type"] == "group_session"}
        weeks = {(dt.date.fromisoformat(d) - dt.date(2026, 11, 2)).days // 7 for d in dates}
        assert weeks == {0, 1} and len(dates) >= 8
        per_day = defaultdict(int)
        for r in records:
            if (
                r["type"] == "claim"
                # a planted duplicate, a void and the service billed again after it aside
                and not r["claim_id"].endswith(("-D", "-V", "-N"))
                and "-BAD" not in r["claim_id"]
            ):
                per_day[(r["patient_id"], r["lines"][0]["service_date"])] += 1
        assert max(per_day.values()) == 1

    def test_sessions_have_two_to_fourteen_participants(self, generated: Path):
        """Rosters run from 2 to 14, over 12 only where the group-size defect is planted."""
        sizes = [len(r["roster"]) for r in read_records(generated) if r["type"] == "group_session"]
        assert min(sizes) >= 2 and max(sizes) <= 14 and max(sizes) > 12

    def test_every_payer_kind_and_credential_appears(self, generated: Path):
        """The world has every payer kind and every provider credential."""
        records = read_records(generated)
        kinds = {r["kind"] for r in records if r["type"] == "payer"}
        creds = {r["credential"] for r in records if r["type"] == "provider"}
        assert kinds == {
            "medicare",
            "medicare_advantage",
            "medicaid_managed_care",
            "commercial",
            "bh_carveout",
        }
        assert len(creds) == 10


class TestGroundTruth:
    def test_ground_truth_is_exactly_what_was_planted(self, generated: Path):
        """Reading the records finds every listed defect and nothing on the clean claims."""
        assert planted(read_records(generated)) == truth(generated)

    def test_every_defect_kind_is_planted(self, generated: Path):
        """At these rates each kind of defect appears at least once."""
        assert {defect for _, defect in truth(generated)} == {d.value for d in Defect}

    def test_zero_rates_plant_nothing(self, tmp_path: Path):
        """With every rate at zero the ground truth is empty and the records agree."""
        generate(GeneratorConfig(seed=2, claims=500, rates=dict.fromkeys(Defect, 0.0)), tmp_path)
        assert truth(tmp_path) == set()
        assert planted(read_records(tmp_path)) == set()


class TestIntakeOfGeneratedData:
    def test_everything_loads_except_the_broken_records(self, sqlite_db: Engine, generated: Path):
        """All generated records load; the broken ones are quarantined where the truth file says."""
        reports = load_paths(sqlite_db, [generated])
        assert all(r.reconciles for r in reports)
        with (generated / "ground-truth" / "quarantine.csv").open() as handle:
            expected = {(row["locator"], row["field"]) for row in csv.DictReader(handle)}
        with session_scope(sqlite_db) as session:
            rows = session.scalars(select(m.IntakeQuarantine)).all()
            got = {(q.locator, r["field"]) for q in rows for r in q.reasons}
        assert len(rows) == 10
        assert expected <= got


class TestRates:
    def test_parse_rates_overrides_one_kind(self):
        """--rate auth_missing=0.5 changes that rate only."""
        rates = parse_rates(["auth_missing=0.5"])
        assert rates[Defect.AUTH_MISSING] == 0.5 and rates[Defect.EXCESS_UNITS] == 0.01

    def test_unknown_defect_is_named(self):
        """A misspelt defect is refused with the list of known ones."""
        with pytest.raises(
            ValueError, match="unknown defect 'auth_mising'; known defects: auth_missing"
        ):
            parse_rates(["auth_mising=0.5"])

    def test_rate_out_of_range(self):
        """A rate must be a probability."""
        with pytest.raises(ValueError, match="between 0 and 1"):
            parse_rates(["auth_missing=2"])
