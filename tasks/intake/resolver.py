"""Decide, record by record, whether a batch inserts, updates, skips or refuses each record.

The resolver knows the keys (and content hashes) already in the database or earlier in
the batch, and the few facts cross-record checks need (a coverage's patient, a session's
date and roster, when a note was signed and when a claim was made). It fetches what a
batch refers to in a handful of IN queries, so a large file costs a query per table per
batch, not per record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules import records as r
from tasks.db import models as m
from tasks.intake.reader import KEY_FIELDS
from tasks.intake.reasons import Reason
from tasks.intake.rows import SPECS, Ref, billing_hash

IN_CHUNK = 500


class Action(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DEFER = "defer"
    QUARANTINE = "quarantine"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    digest: str = ""
    reasons: tuple[Reason, ...] = ()


@dataclass
class Known:
    """What is known to exist: table -> key -> content hash, plus cross-check facts."""

    hashes: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    coverage_patient: dict[str, str] = field(default_factory=dict)
    session_facts: dict[str, tuple[dt.date, frozenset[str]]] = field(default_factory=dict)
    note_signed: dict[tuple[str, str], dt.date] = field(default_factory=dict)
    claim_made: dict[tuple[str, str], tuple[str, dt.date]] = field(default_factory=dict)
    # claim id -> (billing hash, session id): lets an 837P claim be documented later.
    claim_billing: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    missing: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def forget_events(self) -> None:
        """Drop per-batch facts so memory stays flat however long the file is."""
        for table in ("patient", "coverage", "authorization", "group_session", "note", "claim"):
            self.hashes.pop(table, None)
        self.coverage_patient.clear()
        self.session_facts.clear()
        self.note_signed.clear()
        self.claim_made.clear()
        self.claim_billing.clear()
        self.missing.clear()


_KEY_COLUMNS = {
    "payer": (m.Payer.payer_id,),
    "plan": (m.Plan.plan_id,),
    "location": (m.Location.location_id,),
    "provider": (m.Provider.npi,),
    "patient": (m.Patient.patient_id,),
    "coverage": (m.Coverage.coverage_id, m.Coverage.patient_id),
    "group_session": (m.GroupSession.session_id, m.GroupSession.service_date),
    "note": (m.SessionNote.note_id,),
    "claim": (m.Claim.claim_id, m.Claim.billing_hash, m.Claim.session_id),
}


class Resolver:
    def __init__(self) -> None:
        self.known = Known()

    def reset(self) -> None:
        """Forget everything; after a failed write the cache may name rows that never landed."""
        self.known = Known()

    # ------------------------------------------------------------ prefetch

    def prefetch(self, session: Session, records: Iterable[r.Record]) -> None:
        """Load from the database every key and fact the given records will ask about."""
        wanted: dict[str, set[str]] = defaultdict(set)
        session_ids: set[str] = set()
        for record in records:
            spec = SPECS[record.type]
            wanted[record.type].add(spec.key(record))
            for ref in spec.refs(record):
                wanted[ref.table].add(ref.key)
            if isinstance(record, r.Claim | r.SessionNote) and record.session_id:
                session_ids.add(record.session_id)
        for table, keys in wanted.items():
            unknown = keys - self.known.hashes[table].keys() - self.known.missing[table]
            if unknown:
                self._fetch(session, table, unknown)
        self._fetch_session_links(session, session_ids)

    def _fetch(self, session: Session, table: str, keys: set[str]) -> None:
        found: set[str] = set()
        for chunk in _chunks(sorted(keys)):
            for row in session.execute(self._query(table, chunk)):
                key = self._remember(table, row)
                found.add(key)
        self.known.missing[table].update(keys - found)

    def _query(self, table: str, keys: list[str]) -> Any:
        if table == "authorization":
            payers, numbers = zip(*(k.split("|", 1) for k in keys), strict=True)
            cols = (
                m.Authorization.payer_id,
                m.Authorization.auth_number,
                m.Authorization.content_hash,
            )
            # Both columns, so the (payer_id, auth_number) unique index answers it: on the
            # number alone every batch scanned the whole table, and a load grew as N squared.
            return select(*cols).where(
                m.Authorization.payer_id.in_(sorted(set(payers))),
                m.Authorization.auth_number.in_(numbers),
            )
        model_cols = _KEY_COLUMNS[table]
        content = model_cols[0].class_.content_hash
        return select(*model_cols, content).where(model_cols[0].in_(keys))

    def _remember(self, table: str, row: Any) -> str:
        key = f"{row[0]}|{row[1]}" if table == "authorization" else row[0]
        self.known.hashes[table][key] = row[-1]
        if table == "coverage":
            self.known.coverage_patient[key] = row[1]
        elif table == "group_session":
            self.known.session_facts[key] = (row[1], frozenset())
        elif table == "claim":
            self.known.claim_billing[key] = (row[1], row[2])
        return str(key)

    def _fetch_session_links(self, session: Session, session_ids: set[str]) -> None:
        ids = sorted(session_ids)
        for chunk in _chunks(ids):
            roster: dict[str, set[str]] = defaultdict(set)
            participants = select(m.SessionParticipant.session_id, m.SessionParticipant.patient_id)
            for sid, pid in session.execute(
                participants.where(m.SessionParticipant.session_id.in_(chunk))
            ):
                roster[sid].add(pid)
            for sid, members in roster.items():
                if sid in self.known.session_facts:
                    date = self.known.session_facts[sid][0]
                    self.known.session_facts[sid] = (date, frozenset(members))
            notes = select(
                m.SessionNote.session_id, m.SessionNote.patient_id, m.SessionNote.signed_on
            )
            for sid, pid, signed in session.execute(
                notes.where(m.SessionNote.session_id.in_(chunk))
            ):
                self.known.note_signed[(sid, pid)] = signed
            claims = select(
                m.Claim.session_id, m.Claim.patient_id, m.Claim.claim_id, m.Claim.claim_date
            )
            for claim_sid, pid, cid, made in session.execute(
                claims.where(m.Claim.session_id.in_(chunk))
            ):
                if claim_sid is not None:
                    self.known.claim_made[(claim_sid, pid)] = (cid, made)

    # ------------------------------------------------------------ decide

    def decide(self, record: r.Record, digest: str, *, final: bool) -> Decision:
        """Decide what to do with one valid record; `final` turns a wait for a reference into a refusal."""
        kind: str = record.type
        spec = SPECS[kind]
        key = spec.key(record)
        existing = self.known.hashes[kind].get(key)
        if existing == digest:
            return Decision(Action.UNCHANGED, digest)
        missing = [ref for ref in spec.refs(record) if not self._exists(ref)]
        if missing:
            if not final:
                return Decision(Action.DEFER, digest)
            return Decision(
                Action.QUARANTINE, digest, tuple(_missing_reason(ref) for ref in missing)
            )
        if existing is not None and not spec.mutable:
            revision = self._claim_revision(record) if isinstance(record, r.Claim) else None
            if revision is Action.UNCHANGED:
                return Decision(Action.UNCHANGED, existing)
            if revision is None:
                return Decision(Action.QUARANTINE, digest, (_conflict_reason(kind, key),))
        problems = self._cross_check(record)
        if problems:
            return Decision(Action.QUARANTINE, digest, tuple(problems))
        self._learn(record, key, digest)
        return Decision(Action.UPDATE if existing is not None else Action.INSERT, digest)

    def _claim_revision(self, claim: r.Claim) -> Action | None:
        """An event is immutable, with one exception: the documentation of a billed claim.

        An 837P claim may carry no session; a JSON packet of the same claim (same billing
        content) that names its session documents it (an update). The same billed claim
        sent again in another encoding, or without the session already known, adds nothing
        (unchanged). Anything else is a conflict.
        """
        billed, session_id = self.known.claim_billing.get(claim.claim_id, (None, None))
        if billed is None or billed != billing_hash(claim):
            return None
        if claim.session_id and session_id is None:
            return Action.UPDATE
        if claim.session_id in (None, session_id):
            return Action.UNCHANGED
        return None

    def _exists(self, ref: Ref) -> bool:
        return ref.key in self.known.hashes[ref.table]

    def _learn(self, record: r.Record, key: str, digest: str) -> None:
        self.known.hashes[record.type][key] = digest
        self.known.missing[record.type].discard(key)
        if isinstance(record, r.Coverage):
            self.known.coverage_patient[key] = record.patient_id
        elif isinstance(record, r.GroupSession):
            self.known.session_facts[key] = (record.service_date, frozenset(record.roster))
        elif isinstance(record, r.SessionNote):
            self.known.note_signed[(record.session_id, record.patient_id)] = record.signed_on
        elif isinstance(record, r.Claim):
            self.known.claim_billing[key] = (billing_hash(record), record.session_id)
            if record.session_id:
                self.known.claim_made[(record.session_id, record.patient_id)] = (
                    record.claim_id,
                    record.claim_date,
                )

    def _cross_check(self, record: r.Record) -> list[Reason]:
        if isinstance(record, r.Claim):
            return self._check_claim(record)
        if isinstance(record, r.SessionNote):
            return self._check_note(record)
        return []

    def _check_claim(self, claim: r.Claim) -> list[Reason]:
        reasons = []
        owner = self.known.coverage_patient.get(claim.coverage_id)
        if owner is not None and owner != claim.patient_id:
            reasons.append(
                Reason(
                    field="coverage_id",
                    expected="a coverage of the claim's patient",
                    found=f"coverage {claim.coverage_id} of another patient",
                )
            )
        if claim.session_id and claim.session_id in self.known.session_facts:
            date, roster = self.known.session_facts[claim.session_id]
            if roster and claim.patient_id not in roster:
                reasons.append(
                    Reason(
                        field="session_id",
                        expected="a session whose roster includes the patient",
                        found=f"session {claim.session_id} without this patient",
                    )
                )
            off = [i for i, ln in enumerate(claim.lines, start=1) if ln.service_date != date]
            if off:
                reasons.append(
                    Reason(
                        field=f"lines[{off[0]}].service_date",
                        expected=f"the session date {date}",
                        found="another date",
                    )
                )
            signed = self.known.note_signed.get((claim.session_id, claim.patient_id))
            if signed is not None and signed > claim.claim_date:
                reasons.append(_late_note_reason(signed, claim.claim_date, claim.claim_id))
        return reasons

    def _check_note(self, note: r.SessionNote) -> list[Reason]:
        reasons = []
        date, roster = self.known.session_facts.get(note.session_id, (None, frozenset()))
        if roster and note.patient_id not in roster:
            reasons.append(
                Reason(
                    field="patient_id",
                    expected="a participant on the session roster",
                    found="a patient not on the roster",
                )
            )
        if date is not None and note.signed_on < date:
            reasons.append(
                Reason(
                    field="signed_on",
                    expected=f"on or after the session date {date}",
                    found=str(note.signed_on),
                )
            )
        made = self.known.claim_made.get((note.session_id, note.patient_id))
        if made is not None and note.signed_on > made[1]:
            reasons.append(_late_note_reason(note.signed_on, made[1], made[0]))
        return reasons


def _late_note_reason(signed: dt.date, claim_date: dt.date, claim_id: str) -> Reason:
    return Reason(
        field="signed_on",
        expected=f"a note signed on or before claim {claim_id} was made ({claim_date})",
        found=f"note signed {signed}, after the claim",
    )


def _missing_reason(ref: Ref) -> Reason:
    # The id is not repeated: a shifted record puts a member id or a birth date here.
    return Reason(
        field=ref.field,
        expected=f"the id of a loaded {ref.table.replace('_', ' ')}",
        found="an id that is not loaded",
    )


def _conflict_reason(kind: str, key: str) -> Reason:
    fix = (
        "send a replacement claim (frequency code 7) under a new claim_id"
        if kind == "claim"
        else "send the corrected record under a new id"
    )
    return Reason(
        field=KEY_FIELDS[kind],
        expected=f"an unused id, or the same content as the {kind} already loaded; {fix}",
        found=f"{key!r} already loaded with different content",
    )


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]
