"""837P files as intake records: each claim becomes packet records the loader treats like JSON.

Faults are refused at the smallest unit, as a clearinghouse does: a fault in the envelope
or the set's header (ISA, GS, ST, BHT, submitter, receiver, the SE/GE/IEA counts) refuses
the set, one quarantined record that says how many claims it held; a fault inside a claim
(its 2300 loop and lines, or the billing-provider, subscriber or patient level it is
under) refuses that claim, and the set's other claims load. A file that cannot be read at
all is one quarantined record. Every claim that comes in is loaded or refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import Engine, or_, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.intake.reader import Parsed, RawRecord, parse_value
from tasks.intake.reasons import Reason
from tasks.x12.claims837 import Claim837, claims, parse_date
from tasks.x12.mapping import Directory, map_claim, x12_field
from tasks.x12.readahead import READ_HERE, DocumentSource
from tasks.x12.reader import TransactionSet, X12Error, X12FileError
from tasks.x12.reasons import error_reasons

MAX_X12_BYTES = 512 << 20
IN_CHUNK = 500


def parsed_records(
    path: Path,
    engine: Engine,
    documents: DocumentSource = READ_HERE,
    notes: list[str] | None = None,
) -> Iterator[Parsed]:
    """Every record of an 837P file, in file order, each valid or with its reasons; what
    was read as meant but is worth saying goes to `notes`."""
    data = path.read_bytes()
    try:
        document = documents.document(path, data, hashlib.sha256(data).hexdigest())
    except X12FileError as error:
        reason = Reason(field="(file)", expected="an X12 837P interchange", found=str(error))
        raw = RawRecord("file", data[: 1 << 20], len(data), truncated=len(data) > 1 << 20)
        yield Parsed(raw, None, (reason,), "x12", None)
        return
    if notes is not None:
        notes += document.notes
        notes += [
            f"ST {tx.control_number}: {w.describe()}" for tx in document.sets for w in tx.warnings
        ]
    directory = load_directory(engine)
    for tx in document.sets:
        if tx.kind != "837":
            yield _refused_set(tx, f"an 837 transaction set; this is a {tx.kind or 'unnamed'} set")
        elif tx.envelope_errors:
            yield _set_record(tx, error_reasons(tx.envelope_errors + tx.errors))
        else:
            yield from _set_records(engine, directory, tx)


def _set_records(engine: Engine, directory: Directory, tx: TransactionSet) -> Iterator[Parsed]:
    try:
        found = list(claims(tx))
        own, left = _errors_by_claim(tx.errors, found)
    except Exception as error:
        # The set's claims could not be told apart: the set is refused, not the file.
        reason = Reason(
            field="(set)",
            expected="claims the 837P reader can tell apart",
            found=f"the reader failed ({type(error).__name__})",
        )
        yield _set_record(tx, (reason,))
        return
    if left:
        # A fault in the set's header or trailer: none of its claims can be trusted.
        every = sorted(tx.errors, key=lambda e: e.ordinal)
        yield _set_record(tx, error_reasons(every), claims=len(found))
        return
    load_set_facts(engine, directory, found)
    for number, claim in enumerate(found, start=1):
        if own.get(number):
            yield _refused_claim(tx, number, claim, error_reasons(own[number]))
        else:
            yield from _claim_records(tx, number, claim, directory)


def _errors_by_claim(
    errors: list[X12Error], found: list[Claim837]
) -> tuple[dict[int, list[X12Error]], list[X12Error]]:
    """Each claim's errors (by its number in the set), and the errors no claim owns."""
    ordered = sorted(range(len(errors)), key=lambda i: errors[i].ordinal)
    ordinals = [errors[i].ordinal for i in ordered]
    taken: set[int] = set()
    own: dict[int, list[X12Error]] = {}
    for number, claim in enumerate(found, start=1):
        mine = {
            ordered[k]
            for first, last in claim.spans()
            for k in range(bisect_left(ordinals, first), bisect_right(ordinals, last))
        }
        if mine:
            own[number] = [errors[i] for i in sorted(mine)]
            taken |= mine
    return own, [e for i, e in enumerate(errors) if i not in taken]


def _locator(tx: TransactionSet, number: int, claim: Claim837) -> str:
    line = tx.position(claim.first_line)[0] or claim.first_line
    return f"ST {tx.control_number} CLM {number} (line {line})"[:64]


def _refused_claim(
    tx: TransactionSet, number: int, claim: Claim837, reasons: tuple[Reason, ...]
) -> Parsed:
    raw_text = claim.text().encode("latin-1", errors="replace")
    raw = RawRecord(_locator(tx, number, claim), raw_text, len(raw_text))
    return Parsed(raw, None, reasons, "claim", claim.control_number[:64] or None)


def _claim_records(
    tx: TransactionSet, number: int, claim: Claim837, directory: Directory
) -> Iterator[Parsed]:
    locator = _locator(tx, number, claim)
    raw_text = claim.text().encode("latin-1", errors="replace")
    raw = RawRecord(locator, raw_text, len(raw_text))
    try:
        mapped = map_claim(claim, directory)
    except Exception as error:
        # A claim the mapper cannot read is refused alone; the set's other claims load.
        reason = Reason(
            field="(claim)",
            expected="a claim the 837P mapping can read",
            found=f"the mapping failed ({type(error).__name__})",
        )
        yield Parsed(raw, None, (reason,), "claim", claim.control_number[:64] or None)
        return
    if mapped.reasons:
        key = claim.control_number[:64] or None
        yield Parsed(raw, None, tuple(mapped.reasons), "claim", key)
        return
    for value in mapped.records:
        kind = value["type"]
        sub = (
            raw if kind == "claim" else RawRecord(f"{locator[:50]} {kind}", raw_text, len(raw_text))
        )
        parsed = parse_value(sub, value)
        if parsed.reasons:
            reasons = tuple(
                r.model_copy(update={"field": x12_field(r.field)}) for r in parsed.reasons
            )
            parsed = Parsed(sub, None, reasons, parsed.record_type, parsed.record_key)
        yield parsed


def _refused_set(tx: TransactionSet, expected: str) -> Parsed:
    """A set of another kind: refused with the command that reads it, and whatever else is
    wrong with it, so its reasons are there if it never reaches that command."""
    found = f"ST01 {tx.kind!r}: load 835 remittances with `claimguard remit load`"
    wrong = Reason(field="ST01", expected=expected, found=found)
    return _set_record(tx, (wrong, *error_reasons(tx.envelope_errors + tx.errors)))


def _set_record(tx: TransactionSet, reasons: tuple[Reason, ...], *, claims: int = -1) -> Parsed:
    """The whole set refused: one record, which says how many claims it held."""
    text = tx.text().encode("latin-1", errors="replace")
    held = claims if claims >= 0 else sum(1 for _ in tx.iter_segments(only=_CLM))
    return Parsed(
        RawRecord(tx.locator, text[: 1 << 20], len(text)),
        None,
        reasons,
        "x12_set",
        tx.control_number[:64] or None,
        claims=held,
    )


_CLM = frozenset({"CLM"})


def load_directory(engine: Engine) -> Directory:
    """What is on file that an 837P claim may refer to: the reference tables, read whole.

    Coverage grows with the patients and is looked up per set (`_load_coverage`)."""
    directory = Directory()
    with session_scope(engine) as session:
        directory.payers = {
            pid: kind for pid, kind in session.execute(select(m.Payer.payer_id, m.Payer.kind))
        }
        directory.plans = set(session.scalars(select(m.Plan.plan_id)))
        directory.providers = set(session.scalars(select(m.Provider.npi)))
        sites = select(m.Location.npi, m.Location.location_id).where(m.Location.npi.is_not(None))
        directory.location_by_npi = {str(npi): lid for npi, lid in session.execute(sites)}
    return directory


def load_set_facts(engine: Engine, directory: Directory, found: list[Claim837]) -> None:
    """Before a set's claims are mapped: their members' coverage, then their sessions."""
    _load_coverage(engine, directory, found)
    _load_sessions(engine, directory, found)


def _load_coverage(engine: Engine, directory: Directory, found: Iterable[Claim837]) -> None:
    """The coverage on file for the set's members, by (payer or carve-out payer, member id).

    Reading the whole table for each file made 837P intake grow with every patient on file.
    A key already known stays as it is: the file's earlier claims may have reported it.
    """
    members = sorted({c.subscriber.id for c in found if c.subscriber.id})
    query = select(
        m.Plan.payer_id,
        m.Coverage.carveout_payer_id,
        m.Coverage.member_id,
        m.Coverage.coverage_id,
        m.Coverage.patient_id,
    ).join(m.Plan, m.Plan.plan_id == m.Coverage.plan_id)
    with session_scope(engine) as session:
        for start in range(0, len(members), IN_CHUNK):
            chunk = query.where(m.Coverage.member_id.in_(members[start : start + IN_CHUNK]))
            # A verified coverage wins over one known only from an earlier claim.
            rows = session.execute(chunk.order_by(m.Coverage.reported_by_claim))
            for payer, carveout, member, coverage_id, patient_id in rows:
                for key in {payer, carveout} - {None}:
                    directory.coverage.setdefault((str(key), member), (coverage_id, patient_id))


def _load_sessions(engine: Engine, directory: Directory, found: Iterable[Claim837]) -> None:
    """Sessions on the set's service dates of the set's known patients, for linking claims."""
    patients = {
        directory.coverage[(c.payer.id, c.subscriber.id)][1]
        for c in found
        if (c.payer.id, c.subscriber.id) in directory.coverage
    }
    dates = {d for c in found for d in (parse_date(ln.service_date) for ln in c.lines) if d}
    if not patients or not dates:
        return
    sessions: dict[tuple[str, dt.date], list[tuple[str, frozenset[str]]]] = defaultdict(list)
    ids = sorted(patients)
    with session_scope(engine) as session:
        for start in range(0, len(ids), IN_CHUNK):
            query = (
                select(
                    m.SessionParticipant.patient_id,
                    m.GroupSession.service_date,
                    m.GroupSession.session_id,
                    m.GroupSession.facilitator_npis,
                )
                .join(m.GroupSession, m.GroupSession.session_id == m.SessionParticipant.session_id)
                .where(
                    m.SessionParticipant.patient_id.in_(ids[start : start + IN_CHUNK]),
                    or_(*(m.GroupSession.service_date == d for d in sorted(dates))),
                )
            )
            for patient_id, date, session_id, npis in session.execute(query):
                sessions[(patient_id, date)].append((session_id, frozenset(npis)))
    directory.sessions.update(sessions)
