"""How each packet record maps to rows of the claim database, and what it refers to."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Table

from rules import records as r
from tasks.db import models  # noqa: F401 - registers the tables on Base.metadata
from tasks.db.base import Base
from tasks.db.mapping import to_row

T = Base.metadata.tables


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference from a record's field to the key of a row that must already exist."""

    table: str
    key: str
    field: str


Rows = list[tuple[Table, list[dict[str, Any]]]]


@dataclass(frozen=True)
class RecordSpec:
    table: Table
    key: Callable[[Any], str]
    refs: Callable[[Any], list[Ref]]
    rows: Callable[[Any, str, int], Rows]
    # Master data is replaced by a newer version; events are immutable once loaded.
    mutable: bool


def _master_rows(table: Table) -> Callable[[r.Record, str, int], Rows]:
    """Rows of a master record that a table keeps whole (payer, plan, location, patient, coverage)."""

    def rows(rec: r.Record, digest: str, _file: int) -> Rows:
        return [(table, [to_row(rec, table, content_hash=digest)])]

    return rows


def _provider_rows(rec: r.Provider, digest: str, _file: int) -> Rows:
    enrollment = T["provider_enrollment"]
    enrollments = [to_row(e, enrollment, npi=rec.npi) for e in rec.enrollments]
    rows: Rows = [(T["provider"], [to_row(rec, T["provider"], content_hash=digest)])]
    return [*rows, (enrollment, enrollments)] if enrollments else rows


def _auth_rows(rec: r.Authorization, digest: str, _file: int) -> Rows:
    table = T["authorization"]
    row = to_row(rec, table, procedure_codes=list(rec.procedure_codes), content_hash=digest)
    return [(table, [row])]


def _session_rows(rec: r.GroupSession, digest: str, _file: int) -> Rows:
    table = T["group_session"]
    row = to_row(rec, table, facilitator_npis=list(rec.facilitator_npis), content_hash=digest)
    participants = [
        {"session_id": rec.session_id, "position": i, "patient_id": pid}
        for i, pid in enumerate(rec.roster, start=1)
    ]
    return [(table, [row]), (T["session_participant"], participants)]


def _note_rows(rec: r.SessionNote, digest: str, _file: int) -> Rows:
    table = T["session_note"]
    # JSON without the elements a note does not have, so a reloaded note hashes the same.
    elements = rec.elements.model_dump(mode="json", exclude_none=True)
    return [(table, [to_row(rec, table, elements=elements, content_hash=digest)])]


def billing_hash(rec: r.Claim) -> str:
    """Hash of what an 837P carries of a claim: a JSON packet and an 837P of it agree on this."""

    def num(value: Decimal) -> str:
        return format(value.normalize(), "f")

    lines = [
        [
            ln.line_number,
            ln.procedure_code,
            sorted(ln.modifiers),
            num(ln.units),
            num(ln.charge),
            ln.service_date.isoformat(),
        ]
        for ln in rec.lines
    ]
    content = [
        rec.payer_id,
        rec.patient_id,
        rec.coverage_id,
        rec.billing_npi,
        rec.rendering_npi,
        rec.place_of_service,
        str(rec.frequency_code),
        list(rec.diagnoses),
        lines,
    ]
    return hashlib.sha256(orjson.dumps(content)).hexdigest()


def _claim_rows(rec: r.Claim, digest: str, file_id: int) -> Rows:
    claim = to_row(
        rec,
        T["claim"],
        billing_hash=billing_hash(rec),
        diagnoses=list(rec.diagnoses),
        service_date=rec.service_date,
        total_charge=rec.total_charge,
        source="json",
        intake_file_id=file_id,
        content_hash=digest,
    )
    return [
        (T["claim"], [claim]),
        (T["claim_line"], [_line_row(rec.claim_id, ln) for ln in rec.lines]),
    ]


def _line_row(claim_id: str, line: r.ClaimLine) -> dict[str, Any]:
    # The line's modifiers are four columns, in the order billed.
    mods = [*line.modifiers, None, None, None, None]
    return to_row(
        line,
        T["claim_line"],
        claim_id=claim_id,
        diagnosis_pointers=list(line.diagnosis_pointers),
        **{f"modifier_{i}": mods[i - 1] for i in range(1, 5)},
    )


def _claim_refs(rec: r.Claim) -> list[Ref]:
    refs = [
        Ref("patient", rec.patient_id, "patient_id"),
        Ref("coverage", rec.coverage_id, "coverage_id"),
        Ref("payer", rec.payer_id, "payer_id"),
        Ref("provider", rec.rendering_npi, "rendering_npi"),
        Ref("location", rec.location_id, "location_id"),
    ]
    return [*refs, Ref("group_session", rec.session_id, "session_id")] if rec.session_id else refs


def _session_refs(rec: r.GroupSession) -> list[Ref]:
    refs = [Ref("location", rec.location_id, "location_id")]
    refs += [
        Ref("provider", npi, f"facilitator_npis[{i + 1}]")
        for i, npi in enumerate(rec.facilitator_npis)
    ]
    return refs + [Ref("patient", pid, f"roster[{i + 1}]") for i, pid in enumerate(rec.roster)]


SPECS: dict[str, RecordSpec] = {
    "payer": RecordSpec(
        T["payer"], lambda x: x.payer_id, lambda x: [], _master_rows(T["payer"]), True
    ),
    "plan": RecordSpec(
        T["plan"],
        lambda x: x.plan_id,
        lambda x: [Ref("payer", x.payer_id, "payer_id")],
        _master_rows(T["plan"]),
        True,
    ),
    "location": RecordSpec(
        T["location"], lambda x: x.location_id, lambda x: [], _master_rows(T["location"]), True
    ),
    "provider": RecordSpec(
        T["provider"],
        lambda x: x.npi,
        lambda x: [
            Ref("payer", e.payer_id, f"enrollments[{i + 1}].payer_id")
            for i, e in enumerate(x.enrollments)
        ],
        _provider_rows,
        True,
    ),
    "patient": RecordSpec(
        T["patient"], lambda x: x.patient_id, lambda x: [], _master_rows(T["patient"]), True
    ),
    "coverage": RecordSpec(
        T["coverage"],
        lambda x: x.coverage_id,
        lambda x: (
            [Ref("patient", x.patient_id, "patient_id"), Ref("plan", x.plan_id, "plan_id")]
            + (
                [Ref("payer", x.carveout_payer_id, "carveout_payer_id")]
                if x.carveout_payer_id
                else []
            )
        ),
        _master_rows(T["coverage"]),
        True,
    ),
    "authorization": RecordSpec(
        T["authorization"],
        lambda x: f"{x.payer_id}|{x.auth_number}",
        lambda x: [
            Ref("patient", x.patient_id, "patient_id"),
            Ref("payer", x.payer_id, "payer_id"),
        ],
        _auth_rows,
        True,
    ),
    "group_session": RecordSpec(
        T["group_session"], lambda x: x.session_id, _session_refs, _session_rows, False
    ),
    "note": RecordSpec(
        T["session_note"],
        lambda x: x.note_id,
        lambda x: [
            Ref("group_session", x.session_id, "session_id"),
            Ref("patient", x.patient_id, "patient_id"),
            Ref("provider", x.author_npi, "author_npi"),
        ],
        _note_rows,
        False,
    ),
    "claim": RecordSpec(T["claim"], lambda x: x.claim_id, _claim_refs, _claim_rows, False),
}

# Parents before children, so one batch inserts in an order the foreign keys accept.
INSERT_ORDER = [
    T["payer"],
    T["plan"],
    T["location"],
    T["provider"],
    T["provider_enrollment"],
    T["patient"],
    T["coverage"],
    T["authorization"],
    T["group_session"],
    T["session_participant"],
    T["session_note"],
    T["claim"],
    T["claim_line"],
]
