"""Build claim contexts from the claim database, a chunk of claims at a time.

A chunk costs a fixed number of IN queries (claims, lines, coverage, patients, sessions,
rosters, notes, authorizations, history), never a query per claim. The small master
tables (payers, plans, locations, providers) are read once per loader.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from rules import records as r
from rules.context import ClaimContext, Participant, PriorService
from tasks.db import models as m

HISTORY_DAYS = 400  # frequency limits look back a calendar year; duplicates the same day
IN_CHUNK = 500
R = TypeVar("R", bound=BaseModel)


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _row(obj: Any, drop: Sequence[str] = ("content_hash",)) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in drop}


class ContextLoader:
    """Reads what the checks need for a chunk of claims; keeps the small master tables."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.payers = {
            p.payer_id: r.Payer(type="payer", **_row(p)) for p in session.scalars(select(m.Payer))
        }
        self.plans = {
            p.plan_id: r.Plan(type="plan", **_row(p)) for p in session.scalars(select(m.Plan))
        }
        self.locations = {
            x.location_id: r.Location(type="location", **_row(x))
            for x in session.scalars(select(m.Location))
        }
        self.providers = self._providers()

    def _providers(self) -> dict[str, r.Provider]:
        enrollments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in self.session.scalars(select(m.ProviderEnrollment)):
            enrollments[e.npi].append(
                {
                    "payer_id": e.payer_id,
                    "effective_from": e.effective_from,
                    "effective_to": e.effective_to,
                }
            )
        return {
            p.npi: r.Provider(type="provider", enrollments=enrollments[p.npi], **_row(p))
            for p in self.session.scalars(select(m.Provider))
        }

    def load(self, claim_ids: Sequence[str]) -> list[ClaimContext]:
        """Contexts for the given claims, in the order given (missing ids are skipped)."""
        claims = self._claims(claim_ids)
        coverage = self._by_key(
            m.Coverage,
            m.Coverage.coverage_id,
            {c.coverage_id for c in claims.values()},
            r.Coverage,
            "coverage",
        )
        sessions, rosters = self._sessions({c.session_id for c in claims.values() if c.session_id})
        people = {c.patient_id for c in claims.values()} | {
            pid for roster in rosters.values() for pid in roster
        }
        patients = self._by_key(m.Patient, m.Patient.patient_id, people, r.Patient, "patient")
        notes = self._notes(set(sessions))
        auths = self._auths({c.patient_id for c in claims.values()})
        history = self._history(claims.values())
        out = []
        for claim_id in claim_ids:
            claim = claims.get(claim_id)
            if claim is not None:
                out.append(
                    self._context(claim, coverage, sessions, patients, notes, auths, history)
                )
        return out

    def _context(
        self,
        claim: r.Claim,
        coverage: dict[str, r.Coverage],
        sessions: dict[str, r.GroupSession],
        patients: dict[str, r.Patient],
        notes: dict[str, list[r.SessionNote]],
        auths: dict[str, list[r.Authorization]],
        history: dict[str, list[PriorService]],
    ) -> ClaimContext:
        cov = coverage.get(claim.coverage_id)
        session = sessions.get(claim.session_id) if claim.session_id else None
        session_notes = notes.get(claim.session_id or "", [])
        others = [
            patients[p]
            for p in (session.roster if session else [])
            if p != claim.patient_id and p in patients
        ]
        return ClaimContext(
            claim=claim,
            payer=self.payers.get(claim.payer_id),
            coverage=cov,
            plan=self.plans.get(cov.plan_id) if cov else None,
            patient=patients.get(claim.patient_id),
            rendering=self.providers.get(claim.rendering_npi),
            location=self.locations.get(claim.location_id),
            session=session,
            note=next((n for n in session_notes if n.patient_id == claim.patient_id), None),
            peer_notes=tuple(n for n in session_notes if n.patient_id != claim.patient_id),
            participants=tuple(
                Participant(p.patient_id, p.first_name, p.last_name) for p in others
            ),
            authorizations=tuple(auths.get(claim.patient_id, ())),
            history=tuple(
                h for h in history.get(claim.patient_id, ()) if h.claim_id != claim.claim_id
            ),
        )

    def _claims(self, claim_ids: Sequence[str]) -> dict[str, r.Claim]:
        rows: dict[str, m.Claim] = {}
        lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for chunk in _chunks(claim_ids):
            rows.update(
                {
                    c.claim_id: c
                    for c in self.session.scalars(
                        select(m.Claim).where(m.Claim.claim_id.in_(chunk))
                    )
                }
            )
            for line in self.session.scalars(
                select(m.ClaimLine).where(m.ClaimLine.claim_id.in_(chunk))
            ):
                lines[line.claim_id].append(_line(line))
        return {cid: _claim(row, lines[cid]) for cid, row in rows.items()}

    def _by_key(
        self, model: Any, key: Any, ids: set[str], record: type[R], kind: str
    ) -> dict[str, R]:
        out: dict[str, R] = {}
        for chunk in _chunks(ids):
            for row in self.session.scalars(select(model).where(key.in_(chunk))):
                out[getattr(row, key.key)] = record.model_validate({"type": kind, **_row(row)})
        return out

    def _sessions(self, ids: set[str]) -> tuple[dict[str, r.GroupSession], dict[str, list[str]]]:
        rosters: dict[str, list[tuple[int, str]]] = defaultdict(list)
        rows = []
        for chunk in _chunks(ids):
            rows += list(
                self.session.scalars(
                    select(m.GroupSession).where(m.GroupSession.session_id.in_(chunk))
                )
            )
            for p in self.session.scalars(
                select(m.SessionParticipant).where(m.SessionParticipant.session_id.in_(chunk))
            ):
                rosters[p.session_id].append((p.position, p.patient_id))
        ordered = {sid: [pid for _, pid in sorted(members)] for sid, members in rosters.items()}
        sessions = {
            s.session_id: r.GroupSession.model_validate(
                {"type": "group_session", "roster": ordered.get(s.session_id, []), **_row(s)}
            )
            for s in rows
        }
        return sessions, ordered

    def _notes(self, session_ids: set[str]) -> dict[str, list[r.SessionNote]]:
        out: dict[str, list[r.SessionNote]] = defaultdict(list)
        for chunk in _chunks(session_ids):
            for n in self.session.scalars(
                select(m.SessionNote).where(m.SessionNote.session_id.in_(chunk))
            ):
                out[n.session_id].append(r.SessionNote.model_validate({"type": "note", **_row(n)}))
        return out

    def _auths(self, patient_ids: set[str]) -> dict[str, list[r.Authorization]]:
        out: dict[str, list[r.Authorization]] = defaultdict(list)
        for chunk in _chunks(patient_ids):
            for a in self.session.scalars(
                select(m.Authorization).where(m.Authorization.patient_id.in_(chunk))
            ):
                out[a.patient_id].append(
                    r.Authorization.model_validate(
                        {"type": "authorization", **_row(a, ("content_hash", "id"))}
                    )
                )
        return out

    def _history(self, claims: Iterable[r.Claim]) -> dict[str, list[PriorService]]:
        claims = list(claims)
        if not claims:
            return {}
        first = min(c.service_date for c in claims) - dt.timedelta(days=HISTORY_DAYS)
        last = max(c.service_date for c in claims) + dt.timedelta(days=HISTORY_DAYS)
        out: dict[str, list[PriorService]] = defaultdict(list)
        query = select(
            m.Claim.claim_id,
            m.Claim.claim_date,
            m.Claim.patient_id,
            m.Claim.rendering_npi,
            m.Claim.frequency_code,
            m.ClaimLine,
        ).join(m.ClaimLine, m.ClaimLine.claim_id == m.Claim.claim_id)
        for chunk in _chunks(c.patient_id for c in claims):
            rows = self.session.execute(
                query.where(
                    m.Claim.patient_id.in_(chunk), m.ClaimLine.service_date.between(first, last)
                )
            )
            for claim_id, claim_date, patient_id, npi, frequency, line in rows:
                mods = tuple(
                    x
                    for x in (line.modifier_1, line.modifier_2, line.modifier_3, line.modifier_4)
                    if x
                )
                out[patient_id].append(
                    PriorService(
                        claim_id,
                        claim_date,
                        line.service_date,
                        line.procedure_code,
                        mods,
                        line.units,
                        line.rendering_npi or npi,
                        frequency.value,
                    )
                )
        return out


def _line(line: m.ClaimLine) -> dict[str, Any]:
    row = _row(line, ("claim_id", "modifier_1", "modifier_2", "modifier_3", "modifier_4"))
    row["modifiers"] = [
        x for x in (line.modifier_1, line.modifier_2, line.modifier_3, line.modifier_4) if x
    ]
    return row


def _claim(row: m.Claim, lines: list[dict[str, Any]]) -> r.Claim:
    data = _row(
        row,
        ("content_hash", "service_date", "total_charge", "source", "intake_file_id", "received_at"),
    )
    return r.Claim.model_validate({"type": "claim", **data, "lines": lines})
