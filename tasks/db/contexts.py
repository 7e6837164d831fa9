"""Build claim contexts from the claim database, a chunk of claims at a time.

A chunk costs a fixed number of IN queries (claims, lines, coverage, patients, sessions,
rosters, notes, authorizations, history), never a query per claim. The small master
tables (payers, plans, locations, providers) are read once per loader.

Rows in the claim database were validated by intake (rules.records) on their way in, so
they are rebuilt here without validating every claim a second time (tasks.db.mapping);
Core rows (plain mappings) are used instead of ORM objects for the same reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.orm import Session

from rules import records as r
from rules.context import ClaimContext, Lookups, PriorService, assemble
from rules.remit import Adjustment, RemitClaim, RemitLine
from tasks.db.base import Base
from tasks.db.mapping import from_row

HISTORY_DAYS = 400  # frequency limits look back a calendar year; duplicates the same day
IN_CHUNK = 500
T = Base.metadata.tables


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(set(values))
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _rows(
    session: Session, table: Table, column: str, keys: Iterable[Any]
) -> Iterator[dict[str, Any]]:
    """Core rows of `table` whose `column` is in `keys`, as dicts."""
    for chunk in _chunks(keys):
        yield from _dicts(session, select(table).where(table.c[column].in_(chunk)))


def _all(session: Session, table: Table) -> Iterator[dict[str, Any]]:
    yield from _dicts(session, select(table))


def _dicts(session: Session, query: Select[Any]) -> Iterator[dict[str, Any]]:
    # Zipping plain rows with the keys read once is a quarter faster than `.mappings()`,
    # which builds a mapping per row and asks it for its keys: a chunk reads some 30,000 rows.
    result = session.connection().execute(query)
    keys = list(result.keys())
    return (dict(zip(keys, row, strict=True)) for row in result)


class ContextLoader:
    """Reads what the checks need for chunks of claims; keeps the small master tables."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.payers = {
            row["payer_id"]: from_row(r.Payer, T["payer"], row, type="payer")
            for row in _all(session, T["payer"])
        }
        self.plans = {
            row["plan_id"]: from_row(r.Plan, T["plan"], row, type="plan")
            for row in _all(session, T["plan"])
        }
        self.locations = {
            row["location_id"]: from_row(r.Location, T["location"], row, type="location")
            for row in _all(session, T["location"])
        }
        self.providers = self._providers()

    def _providers(self) -> dict[str, r.Provider]:
        enrollments: dict[str, list[r.Enrollment]] = defaultdict(list)
        table = T["provider_enrollment"]
        for row in _all(self.session, table):
            enrollments[row["npi"]].append(from_row(r.Enrollment, table, row))
        return {
            row["npi"]: from_row(
                r.Provider,
                T["provider"],
                row,
                type="provider",
                enrollments=enrollments[row["npi"]],
            )
            for row in _all(self.session, T["provider"])
        }

    def load(self, claim_ids: Sequence[str], *, for_audit: bool = False) -> list[ClaimContext]:
        """Contexts for the given claims, in the order given (ids not in the database are skipped).

        `for_audit`: only what the post-payment audit reads (the claim, its coverage, the
        master data, its postings), without the session, roster, notes, authorizations and
        history. The history is the patient's claims over HISTORY_DAYS either side, so it
        grows with the weeks on file: reading it for step 5, which never looks at it, made
        the audit's time per claim grow with the database.
        """
        claims = self._claims(claim_ids)
        look = Lookups(
            payers=self.payers, plans=self.plans, locations=self.locations, providers=self.providers
        )
        look.coverage = {
            row["coverage_id"]: from_row(r.Coverage, T["coverage"], row, type="coverage")
            for row in _rows(
                self.session, T["coverage"], "coverage_id", {c.coverage_id for c in claims.values()}
            )
        }
        if not for_audit:
            self._before_payment(look, claims)
        look.postings = load_postings(self.session, list(claims))
        return [assemble(claims[cid], look) for cid in claim_ids if cid in claims]

    def _before_payment(self, look: Lookups, claims: dict[str, r.Claim]) -> None:
        """What steps 1-4 read besides the claim: session, people, notes, authorizations, history."""
        look.sessions = self._sessions({c.session_id for c in claims.values() if c.session_id})
        people = {c.patient_id for c in claims.values()} | {
            pid for s in look.sessions.values() for pid in s.roster
        }
        look.patients = {
            row["patient_id"]: from_row(r.Patient, T["patient"], row, type="patient")
            for row in _rows(self.session, T["patient"], "patient_id", people)
        }
        look.notes_by_session = self._notes(set(look.sessions))
        look.auths_by_patient = self._auths({c.patient_id for c in claims.values()})
        for row in _rows(
            self.session, T["coverage"], "patient_id", {c.patient_id for c in claims.values()}
        ):
            coverage = from_row(r.Coverage, T["coverage"], row, type="coverage")
            look.coverage_by_patient[coverage.patient_id][coverage.coverage_id] = coverage
        look.lines_by_patient = self._history(list(claims.values()))

    def _claims(self, claim_ids: Sequence[str]) -> dict[str, r.Claim]:
        lines: dict[str, list[r.ClaimLine]] = defaultdict(list)
        for row in _rows(self.session, T["claim_line"], "claim_id", claim_ids):
            lines[row["claim_id"]].append(_line(row))
        claims = {}
        for row in _rows(self.session, T["claim"], "claim_id", claim_ids):
            mine = sorted(lines[row["claim_id"]], key=lambda line: line.line_number)
            claims[row["claim_id"]] = from_row(r.Claim, T["claim"], row, type="claim", lines=mine)
        return claims

    def _sessions(self, ids: set[str]) -> dict[str, r.GroupSession]:
        rosters: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for row in _rows(self.session, T["session_participant"], "session_id", ids):
            rosters[row["session_id"]].append((row["position"], row["patient_id"]))
        sessions = {}
        for row in _rows(self.session, T["group_session"], "session_id", ids):
            roster = [pid for _, pid in sorted(rosters.get(row["session_id"], []))]
            sessions[row["session_id"]] = from_row(
                r.GroupSession, T["group_session"], row, type="group_session", roster=roster
            )
        return sessions

    def _notes(self, session_ids: set[str]) -> dict[str, list[r.SessionNote]]:
        out: dict[str, list[r.SessionNote]] = defaultdict(list)
        for row in _rows(self.session, T["session_note"], "session_id", session_ids):
            out[row["session_id"]].append(
                from_row(r.SessionNote, T["session_note"], row, type="note")
            )
        return out

    def _auths(self, patient_ids: set[str]) -> dict[str, list[r.Authorization]]:
        out: dict[str, list[r.Authorization]] = defaultdict(list)
        for row in _rows(self.session, T["authorization"], "patient_id", patient_ids):
            out[row["patient_id"]].append(
                from_row(r.Authorization, T["authorization"], row, type="authorization")
            )
        return out

    def _history(self, claims: list[r.Claim]) -> dict[str, list[PriorService]]:
        if not claims:
            return {}
        first = min(c.service_date for c in claims) - dt.timedelta(days=HISTORY_DAYS)
        last = max(c.service_date for c in claims) + dt.timedelta(days=HISTORY_DAYS)
        claim, line = T["claim"], T["claim_line"]
        query = select(
            claim.c.claim_id,
            claim.c.claim_date,
            claim.c.patient_id,
            claim.c.rendering_npi,
            claim.c.frequency_code,
            line.c.service_date,
            line.c.procedure_code,
            line.c.modifier_1,
            line.c.modifier_2,
            line.c.modifier_3,
            line.c.modifier_4,
            line.c.units,
            line.c.rendering_npi.label("line_npi"),
        ).join(line, line.c.claim_id == claim.c.claim_id)
        out: dict[str, list[PriorService]] = defaultdict(list)
        for chunk in _chunks(c.patient_id for c in claims):
            for row in self.session.execute(
                query.where(claim.c.patient_id.in_(chunk), line.c.service_date.between(first, last))
            ):
                mods = tuple(
                    x for x in (row.modifier_1, row.modifier_2, row.modifier_3, row.modifier_4) if x
                )
                out[row.patient_id].append(
                    PriorService(
                        claim_id=row.claim_id,
                        claim_date=row.claim_date,
                        service_date=row.service_date,
                        procedure_code=row.procedure_code,
                        modifiers=mods,
                        units=row.units,
                        rendering_npi=row.line_npi or row.rendering_npi,
                        frequency_code=row.frequency_code,
                    )
                )
        return out


def _line(row: dict[str, Any]) -> r.ClaimLine:
    modifiers = [mod for mod in (row[f"modifier_{i}"] for i in range(1, 5)) if mod]
    return from_row(r.ClaimLine, T["claim_line"], row, modifiers=modifiers)


def _remit_line(row: dict[str, Any]) -> RemitLine:
    return RemitLine.model_construct(
        line_number=row["line_number"],
        procedure_code=row["procedure_code"],
        modifiers=list(row["modifiers"]),
        original_code=row["original_code"],
        charge=row["charge"],
        paid=row["paid"],
        units_paid=row["units_paid"],
        service_date=row["service_date"],
        adjustments=[Adjustment.model_validate(a) for a in row["adjustments"]],
        remark_codes=list(row["remark_codes"]),
        allowed_reported=row["allowed_reported"],
    )


def load_postings(session: Session, claim_ids: Sequence[str]) -> dict[str, list[RemitClaim]]:
    """Each claim's matched 835 answers, oldest first (a reversal nets out what it reverses)."""
    claims_t, lines_t, pay_t = T["remittance_claim"], T["remittance_line"], T["remittance_payment"]
    heads: list[dict[str, Any]] = []
    for chunk in _chunks(claim_ids):
        query = (
            select(claims_t, pay_t.c.paid_on)
            .join(pay_t, pay_t.c.id == claims_t.c.payment_id)
            .where(claims_t.c.claim_id.in_(chunk))
        )
        heads += [dict(row._mapping) for row in session.execute(query)]
    lines: dict[int, list[RemitLine]] = defaultdict(list)
    for chunk in _chunks([h["id"] for h in heads]):
        query = select(lines_t).where(
            lines_t.c.remittance_claim_id.in_(chunk), lines_t.c.line_number.is_not(None)
        )
        for row in session.execute(query):
            lines[row.remittance_claim_id].append(_remit_line(dict(row._mapping)))
    out: dict[str, list[RemitClaim]] = defaultdict(list)
    for head in sorted(heads, key=lambda h: h["id"]):
        out[head["claim_id"]].append(
            RemitClaim.model_construct(
                claim_id=head["claim_id"],
                status_code=head["status_code"],
                charge=head["charge"],
                paid=head["paid"],
                patient_responsibility=head["patient_responsibility"],
                payer_claim_control_number=head["payer_claim_control_number"],
                adjustments=[Adjustment.model_validate(a) for a in head["adjustments"]],
                remark_codes=list(head["remark_codes"]),
                lines=sorted(lines[head["id"]], key=lambda ln: ln.line_number or 0),
                paid_date=head["paid_on"],
            )
        )
    return out
