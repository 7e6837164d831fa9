"""Post 835 files: every payment recorded once, every CLP and SVC matched or queued with why.

A file is read with pyx12 (tasks.x12.reader); each valid 835 set is a payment. The same
payer and trace number (TRN02) posted before is a duplicate: counted, nothing written. A set
that fails validation, or whose values cannot be read, is quarantined whole with its errors.
Balancing is checked at line, claim and payment level; what does not balance is posted and
recorded as a problem of the payment (the audit then flags the lines). Counts reconcile:
sets_in = posted + duplicates + quarantined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rules import matching
from rules.remit import RemitClaim, RemitLine, payment_balances
from tasks.db import models as m
from tasks.db.base import fit
from tasks.db.session import session_scope
from tasks.db.statistics import refresh_statistics
from tasks.intake.loader import finish_file, start_file
from tasks.intake.quarantine import Refused, quarantine
from tasks.intake.reasons import Reason
from tasks.text import printable_path
from tasks.x12.policy import Money, remit_fault
from tasks.x12.readahead import READ_HERE, DocumentSource
from tasks.x12.reader import TransactionSet, X12Error, X12FileError, sniff
from tasks.x12.reasons import error_reasons
from tasks.x12.remit835 import Claim835, Payment835, RemitReadError, claims_of, payment_header

IN_CHUNK = 500
SLICE = 2_000  # CLPs matched and written at once (a month's payment can be 30,000)


@dataclass
class RemitFileReport:
    path: str
    sha256: str
    file_id: int = 0  # its intake_file row
    sets_in: int = 0
    posted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    warned: int = 0  # posted with implementation-guide warnings
    unposted: list[Decimal | None] = field(default_factory=list)  # BPR02 of each set refused

    def not_posted(self) -> str:
        """'$N in K payments not posted' (and how many amounts could not be read)."""
        known = [a for a in self.unposted if a is not None]
        unread = len(self.unposted) - len(known)
        said = f"${sum(known, Decimal(0)):,.2f} in {len(self.unposted):,} payment(s) not posted"
        return said + (f" ({unread} amount(s) unreadable)" if unread else "")

    claims: Counter[str] = field(default_factory=Counter)  # matched / unmatched / refused
    lines: Counter[str] = field(default_factory=Counter)
    unbalanced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.sets_in == self.posted + self.duplicates + self.quarantined


def post_file(engine: Engine, path: Path, documents: DocumentSource = READ_HERE) -> RemitFileReport:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    report = RemitFileReport(printable_path(path), digest)
    file_format = f"x12/{sniff(data[:4096]) or 'x12'}"
    file_id = report.file_id = start_file(engine, path, digest, len(data), file_format=file_format)
    try:
        document = documents.document(path, data, digest)
    except X12FileError as error:
        report.sets_in = 1
        reason = Reason(field="(file)", expected="an X12 835 interchange", found=str(error))
        _quarantine(engine, file_id, report, "file", data, None, [reason])
        _finish_file(engine, file_id, report)
        return report
    for tx in document.sets:
        report.sets_in += 1
        try:
            _post_set(engine, file_id, report, tx)
        except DBAPIError:
            raise  # the database's trouble, not the set's: the task retries or fails
        except Exception as error:
            # A set the 835 reader cannot make sense of is refused alone; the next is posted.
            reason = Reason(
                field="(set)",
                expected="a payment the 835 reader can read",
                found=f"the reader failed ({type(error).__name__})",
            )
            text = tx.text().encode("latin-1", errors="replace")
            _quarantine(engine, file_id, report, tx.locator, text, _payment_key(tx), [reason])
            report.claims["refused"] += _clps(tx)
    _finish_file(engine, file_id, report)
    return report


def _post_set(engine: Engine, file_id: int, report: RemitFileReport, tx: TransactionSet) -> None:
    refused, warnings = _set_faults(tx)
    reasons = _kind_reasons(tx) or list(error_reasons(refused + warnings) if refused else ())
    found: Payment835 | None = None
    survey: _Survey | None = None
    if not reasons:
        try:
            found = payment_header(tx)
            survey = _survey(found, tx)
        except RemitReadError as error:
            reasons = [
                Reason(field="(set)", expected="readable amounts and codes", found=str(error))
            ]
    if survey is not None and warnings and survey.problems:
        # The guide's faults are forgiven only when the money adds up.
        balance = Reason(
            field="(payment)",
            expected="amounts that balance, when the set breaks implementation-guide rules",
            found=survey.problems[0],
        )
        reasons, found = [balance, *error_reasons(warnings)], None
    if found is None or survey is None:
        # The set's text as read (X12 is decoded latin-1, so this gives back its bytes).
        text = tx.text().encode("latin-1", errors="replace")
        _quarantine(engine, file_id, report, tx.locator, text, _payment_key(tx), reasons)
        report.claims["refused"] += _clps(tx)
        report.unposted.append(_amount_of(tx))
        return
    with session_scope(engine) as session:
        before = _posted_amount(session, found)
        if before is not None and before != found.amount:
            clash = _trace_reused(found, before)
            text = tx.text().encode("latin-1", errors="replace")
            key = _payment_key(tx)
            _quarantine(engine, file_id, report, tx.locator, text, key, [clash])
            report.claims["refused"] += _clps(tx)
            report.unposted.append(found.amount)
            return
        if before is not None:
            report.duplicates += 1
            report.problems.append(
                f"{tx.locator}: payment {found.trace_number} from {found.payer_key} was posted before; not posted again"
            )
            return
        said = [w.describe() for w in warnings + tx.warnings]
        _write_payment(session, file_id, found, survey, tx, report, said)
    if said:
        report.warned += 1
        report.problems.append(
            f"{tx.locator}: payment {found.trace_number} posted with {len(said)} "
            f"implementation-guide warning(s), the first: {said[0]}"
        )
    report.posted += 1
    # The next set's matching plans against the remittance tables this one grew.
    refresh_statistics(engine)


@dataclass(frozen=True, slots=True)
class _ClaimFacts:
    """What the first read keeps of a CLP while the payment's claims stream: what matching
    reads, and whether the claim and each of its lines balance (the rows record it)."""

    position: int
    control_number: str
    member_id: str | None
    reported: dt.date | None  # DTM*232, else the first line's date of service
    balanced: bool
    lines_balanced: tuple[bool, ...]


@dataclass
class _Survey:
    """A payment's claims read once before anything is written: every value is readable
    (else the set is quarantined whole, as before), and what the payment's row holds."""

    claims: list[_ClaimFacts]  # in CLP order: position n is claims[n - 1]
    claims_paid: Decimal
    provider_adjustments: Decimal
    problems: list[str]


def _survey(found: Payment835, tx: TransactionSet) -> _Survey:
    facts: list[_ClaimFacts] = []
    claims_paid = Decimal(0)
    problems: list[str] = []
    for claim in claims_of(tx):
        remit = to_remit_claim(claim, None, {})
        facts.append(
            _ClaimFacts(
                claim.position,
                claim.control_number,
                claim.member_id,
                claim.service_date or _first_date(claim),
                remit.balances(),
                tuple(line.balances for line in remit.lines),
            )
        )
        claims_paid += claim.paid
        problems += _claim_problems(claim, facts[-1])
    plb = sum((p.amount for p in found.provider_adjustments), Decimal(0))
    if not payment_balances(claims_paid, plb, found.amount):
        problems.insert(
            0,
            f"payment does not balance: claims paid {claims_paid} - provider adjustments {plb} != BPR02 {found.amount}",
        )
    return _Survey(facts, claims_paid, plb, problems)


def _claim_problems(claim: Claim835, facts: _ClaimFacts) -> list[str]:
    problems = []
    if not facts.balanced:
        problems.append(
            f"claim {claim.position} (CLP) does not balance: charge - adjustments != paid"
        )
    for line, balanced in zip(claim.lines, facts.lines_balanced, strict=True):
        if not balanced:
            problems.append(
                f"claim {claim.position} line {line.procedure_code}: SVC02 - CAS != SVC03"
            )
    return problems


def _kind_reasons(tx: TransactionSet) -> list[Reason]:
    if tx.kind == "835":
        return []
    wrong = Reason(
        field="ST01",
        expected="an 835 transaction set",
        found=f"a {tx.kind or 'unnamed'} set: load 837P claims with `claimguard load`",
    )
    return [wrong, *error_reasons(tx.envelope_errors + tx.errors)]


def _set_faults(tx: TransactionSet) -> tuple[list[X12Error], list[X12Error]]:
    """The set's errors that refuse it, and those it is posted with (tasks.x12.policy)."""
    errors = tx.envelope_errors + tx.errors
    dated = {e.ordinal for e in errors if e.segment == "DTM"}
    qualifiers = (
        {seg.line: seg.get("01") for seg in tx.iter_segments(only=_DTM) if seg.line in dated}
        if dated
        else {}
    )
    refused: list[X12Error] = []
    warnings: list[X12Error] = []
    for error in errors:
        fault = remit_fault(error, date_qualifier=qualifiers.get(error.ordinal, ""))
        (refused if fault is Money.REFUSE or error in tx.envelope_errors else warnings).append(
            error
        )
    return refused, warnings


_DTM = frozenset({"DTM"})


def _posted_amount(session: Session, found: Payment835) -> Decimal | None:
    """What the payment posted before under this payer and trace number paid; None if none."""
    query = select(m.RemittancePayment.amount).where(
        m.RemittancePayment.payer_key == found.payer_key,
        m.RemittancePayment.trace_number == found.trace_number,
    )
    return session.scalars(query).first()


def _trace_reused(found: Payment835, before: Decimal) -> Reason:
    """A second payment under a trace number already posted for another amount is not the
    same payment sent again: it is refused (so its money shows as not posted), not dropped."""
    return Reason(
        field="TRN02",
        expected=f"a trace number not used before by {found.payer_key} (posted for ${before:,.2f})",
        found=f"{found.trace_number} again, for ${found.amount:,.2f}: ask the payer which it is",
    )


def _write_payment(
    session: Session,
    file_id: int,
    found: Payment835,
    survey: _Survey,
    tx: TransactionSet,
    report: RemitFileReport,
    warnings: list[str],
) -> None:
    report.unbalanced += [f"{found.trace_number}: {p}" for p in survey.problems]
    payer_id = _payer_id(session, found)
    payment_id = session.execute(
        insert(m.RemittancePayment).returning(m.RemittancePayment.id),
        [
            fit(
                m.RemittancePayment.__table__,
                {
                    "intake_file_id": file_id,
                    "set_control_number": found.set_control_number,
                    "payer_key": found.payer_key,
                    "payer_name": found.payer_name,
                    "payer_id": payer_id,
                    "trace_number": found.trace_number,
                    "handling_code": found.handling_code,
                    "method": found.method,
                    "amount": found.amount,
                    "paid_on": found.paid_on,
                    "payee_id": found.payee_id,
                    "claims_paid": survey.claims_paid,
                    "provider_adjustments": survey.provider_adjustments,
                    "balanced": not survey.problems,
                    "problems": survey.problems,
                    "warnings": warnings or None,
                },
            )
        ],
    ).scalar_one()
    if found.provider_adjustments:
        session.execute(
            insert(m.ProviderAdjustment),
            [
                fit(
                    m.ProviderAdjustment.__table__,
                    {
                        "payment_id": payment_id,
                        "provider_key": a.provider_key,
                        "fiscal_period": a.fiscal_period,
                        "reason": a.reason,
                        "reference": a.reference,
                        "amount": a.amount,
                    },
                )
                for a in found.provider_adjustments
            ],
        )
    _write_claims(session, payment_id, tx, survey.claims, report)


def _payer_id(session: Session, found: Payment835) -> str | None:
    """The payer on file this payment is from, by its id in N1*PR (else by name)."""
    for key in (found.payer_id, found.payer_name):
        if not key:
            continue
        row = session.execute(
            select(m.Payer.payer_id).where(or_(m.Payer.payer_id == key, m.Payer.name == key))
        ).first()
        if row is not None:
            return str(row[0])
    return None


def _write_claims(
    session: Session,
    payment_id: int,
    tx: TransactionSet,
    facts: list[_ClaimFacts],
    report: RemitFileReport,
) -> None:
    """Match and write the payment's claims a slice at a time, in one transaction.

    Only the slice's claims, their billed lines and their rows are held at once: what a
    payment costs in memory no longer grows with its size (a month of one large payer's
    claims is one set). Candidates are read for the whole payment first, so a claim is
    matched among the same claims whichever slice it falls in.
    """
    candidates = _candidates(session, facts)
    claims = claims_of(tx)
    while batch := list(islice(claims, SLICE)):
        known = [facts[claim.position - 1] for claim in batch]
        matches = [
            matching.match_claim(
                claim.control_number,
                candidates.pop(claim.position, []),
                member_id=claim.member_id,
                service_date=fact.reported,
                charge=claim.charge,
            )
            for claim, fact in zip(batch, known, strict=True)
        ]
        billed = _billed_lines(session, {found.claim_id for found in matches if found.claim_id})
        rows = [
            _claim_row(payment_id, claim, fact, found)
            for claim, fact, found in zip(batch, known, matches, strict=True)
        ]
        ids = session.scalars(
            insert(m.RemittanceClaim).returning(m.RemittanceClaim.id, sort_by_parameter_order=True),
            rows,
        ).all()
        lines: list[dict[str, Any]] = []
        for claim, fact, found, remit_claim_id in zip(batch, known, matches, ids, strict=True):
            report.claims["matched" if found.claim_id else "unmatched"] += 1
            billed_lines = billed.get(found.claim_id or "", [])
            lines += _line_rows(remit_claim_id, claim, fact, billed_lines, report)
        if lines:
            session.execute(insert(m.RemittanceLine), lines)


def _claim_row(
    payment_id: int, claim: Claim835, fact: _ClaimFacts, found: matching.ClaimMatch
) -> dict[str, Any]:
    return fit(
        m.RemittanceClaim.__table__,
        {
            "payment_id": payment_id,
            "position": claim.position,
            "control_number": claim.control_number,
            "status_code": claim.status_code,
            "charge": claim.charge,
            "paid": claim.paid,
            "patient_responsibility": claim.patient_responsibility,
            "filing_indicator": claim.filing_indicator,
            "payer_claim_control_number": claim.payer_claim_control_number,
            "service_date": fact.reported,
            "adjustments": [a.model_dump(mode="json") for a in claim.adjustments],
            "remark_codes": claim.remark_codes,
            "balanced": fact.balanced,
            "claim_id": found.claim_id,
            "match_method": found.method,
            "unmatched_reason": found.reason or None,
        },
    )


def _line_rows(
    remit_claim_id: int,
    claim: Claim835,
    fact: _ClaimFacts,
    billed: list[matching.BilledLine],
    report: RemitFileReport,
) -> list[dict[str, Any]]:
    if not claim.lines:
        return []
    paid = [
        matching.PaidLine(
            ln.position, ln.procedure_code, ln.original_code, tuple(ln.modifiers), ln.units_paid,
            ln.charge, ln.service_date, ln.line_control_number,
        )
        for ln in claim.lines
    ]  # fmt: skip
    matches = (
        matching.match_lines(billed, paid)
        if billed
        else [
            matching.LineMatch(p.position, None, "none", "the claim is not matched") for p in paid
        ]
    )
    rows = []
    for line, balanced, found in zip(claim.lines, fact.lines_balanced, matches, strict=True):
        report.lines["matched" if found.line_number is not None else "unmatched"] += 1
        rows.append(
            fit(
                m.RemittanceLine.__table__,
                {
                    "remittance_claim_id": remit_claim_id,
                    "position": line.position,
                    "procedure_code": line.procedure_code,
                    "modifiers": line.modifiers,
                    "original_code": line.original_code,
                    "charge": line.charge,
                    "paid": line.paid,
                    "units_paid": line.units_paid,
                    "service_date": line.service_date,
                    "line_control_number": line.line_control_number,
                    "adjustments": [a.model_dump(mode="json") for a in line.adjustments],
                    "remark_codes": line.remark_codes,
                    "allowed_reported": line.allowed_reported,
                    "balanced": balanced,
                    "line_number": found.line_number,
                    "match_method": found.method,
                    "unmatched_reason": found.reason or None,
                },
            )
        )
    return rows


def _first_date(claim: Claim835) -> dt.date | None:
    return min((ln.service_date for ln in claim.lines if ln.service_date), default=None)


def _candidates(
    session: Session, claims: list[_ClaimFacts]
) -> dict[int, list[matching.ClaimCandidate]]:
    """For each CLP: the claim with its control number, and the claims of its member on
    the dates this payment reports.

    A member's claims on every date made a payment's candidates (and the billed lines read
    for them) grow with the patient's history: a month's payment for a patient seen weekly
    for a year read fifty claims to match four. A member with a CLP that reports no date of
    service still has all of their claims read: that CLP may answer any of them.
    """
    controls = sorted({c.control_number for c in claims})
    reported = {c.position: c.reported for c in claims}
    undated = {c.member_id for c in claims if c.member_id and reported[c.position] is None}
    dated = sorted({c.member_id for c in claims if c.member_id} - undated)
    dates = sorted({d for d in reported.values() if d is not None})
    columns = (m.Claim.claim_id, m.Coverage.member_id, m.Claim.service_date, m.Claim.total_charge)
    base = select(*columns).join(m.Coverage, m.Coverage.coverage_id == m.Claim.coverage_id)
    lookups = [
        (base, m.Claim.claim_id, controls),
        (base.where(m.Claim.service_date.in_(dates)), m.Coverage.member_id, dated),
        (base, m.Coverage.member_id, sorted(undated)),
    ]
    found: dict[str, matching.ClaimCandidate] = {}
    # Separate lookups, not one with OR: SQLite answers an OR across two tables by scanning
    # every claim, so each remittance batch cost as much as the whole claim table.
    for query, key, values in lookups:
        for start in range(0, len(values), IN_CHUNK):
            chunk = query.where(key.in_(values[start : start + IN_CHUNK]))
            for cid, member, date, total in session.execute(chunk):
                found[cid] = matching.ClaimCandidate(cid, member, date, total)
    by_member: dict[str, list[matching.ClaimCandidate]] = defaultdict(list)
    for _, candidate in sorted(found.items()):  # claim-id order, whatever the lookups' order
        by_member[candidate.member_id or ""].append(candidate)
    out: dict[int, list[matching.ClaimCandidate]] = {}
    for claim in claims:
        near = [found[claim.control_number]] if claim.control_number in found else []
        near += by_member.get(claim.member_id or "", [])
        if not near and len(matching.normalize(claim.control_number)) >= matching.MIN_TRUNCATED:
            near = _by_prefix(session, base, claim.control_number)
        out[claim.position] = near
    return out


def _by_prefix(session: Session, base: Any, control: str) -> list[matching.ClaimCandidate]:
    # The payer kept only the first characters of our claim id.
    query = base.where(m.Claim.claim_id.like(f"{control}%")).limit(50)
    return [matching.ClaimCandidate(*row) for row in session.execute(query)]


def _billed_lines(session: Session, claim_ids: set[str]) -> dict[str, list[matching.BilledLine]]:
    out: dict[str, list[matching.BilledLine]] = defaultdict(list)
    ids = sorted(claim_ids)
    L = m.ClaimLine
    for start in range(0, len(ids), IN_CHUNK):
        query = select(
            L.claim_id, L.line_number, L.procedure_code, L.modifier_1, L.modifier_2, L.modifier_3,
            L.modifier_4, L.units, L.charge, L.service_date, L.line_control_number,
        ).where(L.claim_id.in_(ids[start : start + IN_CHUNK]))  # fmt: skip
        for row in session.execute(query):
            mods = tuple(x for x in row[3:7] if x)
            out[row[0]].append(
                matching.BilledLine(row[1], row[2], mods, row[7], row[8], row[9], row[10])
            )
    return out


def _remit_line(line: Any, line_number: int | None) -> RemitLine:
    return RemitLine(
        line_number=line_number,
        procedure_code=line.procedure_code,
        modifiers=list(line.modifiers),
        original_code=line.original_code,
        charge=line.charge,
        paid=line.paid,
        units_paid=line.units_paid,
        service_date=line.service_date,
        adjustments=list(line.adjustments),
        remark_codes=list(line.remark_codes),
        allowed_reported=line.allowed_reported,
    )


def to_remit_claim(claim: Claim835, claim_id: str | None, numbers: dict[int, int]) -> RemitClaim:
    return RemitClaim(
        claim_id=claim_id or claim.control_number,
        status_code=claim.status_code,
        charge=claim.charge,
        paid=claim.paid,
        patient_responsibility=claim.patient_responsibility,
        payer_claim_control_number=claim.payer_claim_control_number,
        adjustments=list(claim.adjustments),
        remark_codes=list(claim.remark_codes),
        lines=[_remit_line(ln, numbers.get(ln.position)) for ln in claim.lines],
    )


def _payment_key(tx: TransactionSet) -> str:
    """A refused payment's name: its trace number (TRN02) when it has one, else its set's."""
    for seg in tx.iter_segments(only=_TRN):
        trace = seg.get("02")
        if trace and trace.isprintable():
            return f"TRN {trace}"[:64]
    return f"ST {tx.control_number}"[:64]


_TRN = frozenset({"TRN"})


def _amount_of(tx: TransactionSet) -> Decimal | None:
    """What a refused payment says it paid (BPR02), when that can be read."""
    try:
        return payment_header(tx).amount
    except Exception:
        return None


def _clps(tx: TransactionSet) -> int:
    """The claims (CLP) a refused payment held: refused with it."""
    return sum(1 for _ in tx.iter_segments(only=_CLP))


_CLP = frozenset({"CLP"})


def _quarantine(
    engine: Engine,
    file_id: int,
    report: RemitFileReport,
    locator: str,
    raw: bytes,
    key: str | None,
    reasons: list[Reason],
) -> None:
    report.quarantined += 1
    report.problems.append(f"{locator}: not posted: {reasons[0] if reasons else 'unreadable'}")
    with session_scope(engine) as session:
        quarantine(
            session,
            file_id=file_id,
            source_path=report.path,
            source_sha256=report.sha256,
            refused=[Refused(locator, "x12_835", key, raw, len(raw), reasons)],
        )


def _finish_file(engine: Engine, file_id: int, report: RemitFileReport) -> None:
    finish_file(
        engine,
        file_id,
        records_in=report.sets_in,
        inserted=report.posted,
        unchanged=report.duplicates,
        quarantined=report.quarantined,
    )
