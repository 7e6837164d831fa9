"""Read what the reports sum from the claim database: audited lines, claim states, queues.

Every row names claims by id (and payers, providers, sites and codes by their ids); no
patient name, birth date, member id or note text is read here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.leaks import AuditedLine, ClaimState, Rates, by_week
from rules.leaks import rates as leaks_rates
from rules.loader import RuleSet
from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus, Finding, Severity, Step
from rules.remit import RemitClaim, RemitLine, effective, merge_split
from tasks.db import models as m
from tasks.db import selection
from tasks.db.contexts import load_postings

IN_CHUNK = 500
PAGE = 5000  # claims per page of a report's reads
STREAM = 2000  # rows per fetch of a streamed read
PAID_STATUSES = frozenset({"1", "2", "3", "19", "20", "21"})


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def latest_checkpoints(
    session: Session, steps: Sequence[Step], claim_ids: Sequence[str]
) -> dict[tuple[str, Step], tuple[CheckpointStatus, list[Finding]]]:
    """The newest checkpoint of each of the given claims in each step (errors and skips left
    out). Callers pass a page of claims: every claim's findings at once would not fit."""
    latest = latest_statuses(session, steps, claim_ids)
    findings = findings_of(session, [cid for cid, _ in latest.values()])
    return {key: (status, findings[cid]) for key, (cid, status) in latest.items()}


def latest_statuses(
    session: Session, steps: Sequence[Step], claim_ids: Sequence[str]
) -> dict[tuple[str, Step], tuple[int, CheckpointStatus]]:
    """The id and status of each claim's newest checkpoint in each step, without findings:
    the rates need only the status, and the findings are most of what a checkpoint costs
    to read (JSON parsed into models)."""
    newest = (
        select(func.max(m.ClaimCheckpoint.id))
        .where(
            m.ClaimCheckpoint.step.in_(list(steps)),
            m.ClaimCheckpoint.status.not_in([CheckpointStatus.ERROR, CheckpointStatus.SKIPPED]),
        )
        .where(m.ClaimCheckpoint.claim_id.in_(list(claim_ids)))
        .group_by(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step)
    )
    ids = list(session.scalars(newest))
    out: dict[tuple[str, Step], tuple[int, CheckpointStatus]] = {}
    for chunk in _chunks(ids):
        query = select(
            m.ClaimCheckpoint.id,
            m.ClaimCheckpoint.claim_id,
            m.ClaimCheckpoint.step,
            m.ClaimCheckpoint.status,
        ).where(m.ClaimCheckpoint.id.in_(chunk))
        for checkpoint_id, claim_id, step, status in session.execute(query):
            out[(claim_id, step)] = (checkpoint_id, status)
    return out


def findings_of(session: Session, checkpoint_ids: Sequence[int]) -> dict[int, list[Finding]]:
    """The findings of the given checkpoints, by checkpoint id."""
    out: dict[int, list[Finding]] = {}
    for chunk in _chunks(sorted(checkpoint_ids)):
        query = select(m.ClaimCheckpoint.id, m.ClaimCheckpoint.findings).where(
            m.ClaimCheckpoint.id.in_(chunk)
        )
        for checkpoint_id, findings in session.execute(query):
            out[checkpoint_id] = findings
    return out


def claim_pages(session: Session) -> Iterator[list[str]]:
    """Every claim id, a page at a time in id order: the reports read the database page by
    page, so what they hold besides their results does not grow with the claims on file."""
    return selection.claim_pages(session, size=PAGE)


def _check_of(rule_set: RuleSet) -> dict[str, str]:
    return {rule.id: rule.require.check for f in rule_set.files for rule in f.rules}


def audited_lines(session: Session, rule_set: RuleSet) -> Iterator[AuditedLine]:
    """Every remitted line of every audited claim, with what step 5 found, a page of claims
    at a time (in claim id order): callers sum them as they come rather than keep them."""
    check_of = _check_of(rule_set)
    for page in claim_pages(session):
        yield from _audited_lines(session, page, check_of)


def _audited_lines(
    session: Session, page: Sequence[str], check_of: dict[str, str]
) -> list[AuditedLine]:
    audits = {
        cid: findings
        for (cid, _), (_, findings) in latest_checkpoints(
            session, [Step.POST_PAYMENT_AUDIT], page
        ).items()
    }
    claim_ids = sorted(audits)
    claims, codes = _claims_and_lines(session, claim_ids)
    postings = load_postings(session, claim_ids)
    out = []
    for claim_id in claim_ids:
        if claim_id not in claims:
            continue
        out += _take_backs(claim_id, claims[claim_id], audits[claim_id], check_of)
        standing = effective(postings.get(claim_id, []))
        if standing is None:
            continue
        by_line = _findings_by_line(audits[claim_id], check_of)
        for remit in merge_split(list(standing.lines)):
            if remit.line_number is None:
                continue
            code, date = codes.get((claim_id, remit.line_number), (remit.procedure_code, None))
            out.append(
                _line(
                    claim_id,
                    claims[claim_id],
                    code,
                    date,
                    remit,
                    standing,
                    by_line.get(remit.line_number, {}),
                )
            )
    return out


def _take_backs(
    claim_id: str,
    claim: tuple[str, str, str, dt.date],
    findings: list[Finding],
    check_of: dict[str, str],
) -> list[AuditedLine]:
    """A take-back without a payment on file, as a line of the claim to dispute."""
    payer, npi, location, claim_date = claim
    out = []
    for finding in findings:
        if check_of.get(finding.rule_id) != "payments_add_up":
            continue
        taken = _money(finding.evidence.get("taken_back")) or Decimal(0)
        out.append(
            AuditedLine(
                claim_id=claim_id,
                line_number=0,
                payer_id=payer,
                provider_npi=npi,
                location_id=location,
                service_date=claim_date,
                code="",
                outcome="taken_back",
                expected=None,
                allowed=Decimal(0),
                paid=-taken,
                variance=taken,
                codes=("CLP02-22",),
            )
        )
    return out


def _findings_by_line(
    findings: list[Finding], check_of: dict[str, str]
) -> dict[int, dict[str, Finding]]:
    by_line: dict[int, dict[str, Finding]] = defaultdict(dict)
    for finding in findings:
        if finding.line_number is not None:
            by_line[finding.line_number][check_of.get(finding.rule_id, finding.rule_id)] = finding
    return by_line


def _money(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "None", "") else None


def _line(
    claim_id: str,
    claim: tuple[str, str, str, dt.date],
    code: str,
    date: dt.date | None,
    remit: RemitLine,
    standing: RemitClaim,
    found: dict[str, Finding],
) -> AuditedLine:
    payer, npi, location, claim_date = claim
    outcome, expected, variance, contract = "paid_correctly", None, Decimal(0), ""
    category = prevented = ""
    codes = tuple(remit.carcs + remit.remark_codes)
    if "denial_explained" in found:
        evidence = found["denial_explained"].evidence
        outcome = "denied"
        expected = _money(evidence.get("expected_allowed"))
        category, prevented = evidence.get("category", ""), evidence.get("prevented_by", "")
    elif "paid_as_contracted" in found:
        evidence = found["paid_as_contracted"].evidence
        expected = _money(evidence.get("expected_allowed"))
        variance = _money(evidence.get("variance")) or Decimal(0)
        contract = str(evidence.get("contract", ""))
        outcome = (
            "no_contract" if expected is None else ("underpaid" if variance > 0 else "overpaid")
        )
    return AuditedLine(
        claim_id=claim_id,
        line_number=remit.line_number or 0,
        payer_id=payer,
        provider_npi=npi,
        location_id=location,
        service_date=date or claim_date,
        code=code,
        outcome=outcome,
        expected=expected,
        allowed=remit.allowed,
        paid=remit.paid,
        variance=variance,
        contract=contract,
        category=category,
        prevented_by=prevented,
        codes=codes,
        paid_on=standing.paid_date,
    )


def _claims_and_lines(
    session: Session, claim_ids: Sequence[str]
) -> tuple[dict[str, tuple[str, str, str, dt.date]], dict[tuple[str, int], tuple[str, dt.date]]]:
    claims: dict[str, tuple[str, str, str, dt.date]] = {}
    codes: dict[tuple[str, int], tuple[str, dt.date]] = {}
    for chunk in _chunks(claim_ids):
        query = select(
            m.Claim.claim_id,
            m.Claim.payer_id,
            m.Claim.rendering_npi,
            m.Claim.location_id,
            m.Claim.service_date,
        ).where(m.Claim.claim_id.in_(chunk))
        for cid, payer, npi, location, date in session.execute(query):
            claims[cid] = (payer, npi, location, date)
        lines = select(
            m.ClaimLine.claim_id,
            m.ClaimLine.line_number,
            m.ClaimLine.procedure_code,
            m.ClaimLine.service_date,
        ).where(m.ClaimLine.claim_id.in_(chunk))
        for cid, number, code, date in session.execute(lines):
            codes[(cid, number)] = (code, date)
    return claims, codes


def weekly_rates(session: Session) -> list[tuple[dt.date, Rates]]:
    """Clean-claim and first-pass rates per service week, summed a page of claims at a time."""
    weeks: dict[dt.date, Rates] = {}
    for page in claim_pages(session):
        for week, rates in by_week(claim_states(session, page), leaks_rates):
            weeks[week] = weeks[week] + rates if week in weeks else rates
    return sorted(weeks.items())


def claim_states(session: Session, claim_ids: Sequence[str]) -> list[ClaimState]:
    """The given claims: checked in steps 1-4, held, remitted, paid on the first remittance."""
    latest = latest_statuses(session, PRE_SUBMISSION_STEPS, claim_ids)
    statuses: dict[str, list[CheckpointStatus]] = defaultdict(list)
    for (cid, _), (_, status) in latest.items():
        statuses[cid].append(status)
    first = _first_postings(session, claim_ids)
    out = []
    for chunk in _chunks(claim_ids):
        dates = select(m.Claim.claim_id, m.Claim.service_date).where(m.Claim.claim_id.in_(chunk))
        for cid, date in session.execute(dates):
            seen = statuses.get(cid, [])
            posting = first.get(cid)
            out.append(
                ClaimState(
                    claim_id=cid,
                    service_date=date,
                    checked=len(seen) == len(PRE_SUBMISSION_STEPS),
                    held=CheckpointStatus.HELD in seen,
                    remitted=posting is not None,
                    first_pass_paid=posting is not None and _paid_in_full(posting),
                )
            )
    return out


def _first_postings(
    session: Session, claim_ids: Sequence[str]
) -> dict[str, tuple[str, Decimal, int]]:
    """Claim id -> (status, paid, lines paid nothing) of its first posting."""
    first = (
        select(func.min(m.RemittanceClaim.id))
        .where(m.RemittanceClaim.claim_id.in_(list(claim_ids)))
        .group_by(m.RemittanceClaim.claim_id)
    )
    ids = list(session.scalars(first))
    out: dict[str, tuple[str, Decimal, int]] = {}
    for chunk in _chunks(ids):
        zero_lines = (
            select(func.count())
            .where(
                m.RemittanceLine.remittance_claim_id == m.RemittanceClaim.id,
                m.RemittanceLine.paid == 0,
            )
            .scalar_subquery()
        )
        query = select(
            m.RemittanceClaim.claim_id,
            m.RemittanceClaim.status_code,
            m.RemittanceClaim.paid,
            zero_lines,
        ).where(m.RemittanceClaim.id.in_(chunk))
        for cid, status, paid, zeros in session.execute(query):
            out[cid] = (status, paid, zeros)
    return out


def _paid_in_full(posting: tuple[str, Decimal, int]) -> bool:
    status, paid, zero_lines = posting
    return status in PAID_STATUSES and paid > 0 and zero_lines == 0


def held_queue(session: Session) -> Iterator[dict[str, Any]]:
    """Claims held now: the step, the rules, what was found and how to fix it (ids only),
    in claim id order, a page of claims at a time."""
    for page in claim_pages(session):
        yield from _held_rows(session, page)


def _held_rows(session: Session, page: Sequence[str]) -> list[dict[str, Any]]:
    latest = latest_statuses(session, PRE_SUBMISSION_STEPS, page)
    held = sorted(
        (cid, step)
        for (cid, step), (_, status) in latest.items()
        if status is CheckpointStatus.HELD
    )
    findings = findings_of(session, [latest[key][0] for key in held])
    info: dict[str, tuple[str, dt.date]] = {}
    for chunk in _chunks(sorted({cid for cid, _ in held})):
        query = select(m.Claim.claim_id, m.Claim.payer_id, m.Claim.service_date)
        info.update((cid, (payer, date)) for cid, payer, date in session.execute(
            query.where(m.Claim.claim_id.in_(chunk))
        ))  # fmt: skip
    rows = []
    for cid, step in held:
        found = [f for f in findings[latest[(cid, step)][0]] if f.severity is Severity.HELD]
        payer, date = info.get(cid, ("", None))
        rows.append(
            {
                "claim_id": cid,
                "payer_id": payer,
                "service_date": date.isoformat() if date else "",
                "step": step.value,
                "rules": " ".join(sorted({f.rule_id for f in found})),
                "finding": found[0].message if found else "",
                "fix": found[0].fix if found else "",
            }
        )
    return rows


def unmatched_queue(session: Session) -> Iterator[dict[str, Any]]:
    """Remittance claims and lines that matched nothing, with why (payer trace, CLP position),
    read in batches (`yield_per`: a server-side cursor on PostgreSQL), never all at once."""
    claims = (
        select(
            m.RemittancePayment.payer_key,
            m.RemittancePayment.trace_number,
            m.RemittanceClaim.position,
            m.RemittanceClaim.control_number,
            m.RemittanceClaim.paid,
            m.RemittanceClaim.unmatched_reason,
        )
        .join(m.RemittancePayment, m.RemittancePayment.id == m.RemittanceClaim.payment_id)
        .where(m.RemittanceClaim.claim_id.is_(None))
        .order_by(m.RemittanceClaim.id)
        .execution_options(yield_per=STREAM)
    )
    for payer, trace, position, control, paid, reason in session.execute(claims):
        yield (
            {"level": "claim", "payer": payer, "trace": trace, "clp": position,
             "control_number": control, "line": "", "paid": str(paid), "reason": reason or ""}
        )  # fmt: skip
    lines = (
        select(
            m.RemittancePayment.payer_key,
            m.RemittancePayment.trace_number,
            m.RemittanceClaim.position,
            m.RemittanceClaim.claim_id,
            m.RemittanceLine.position,
            m.RemittanceLine.paid,
            m.RemittanceLine.unmatched_reason,
        )
        .join(m.RemittanceClaim, m.RemittanceClaim.id == m.RemittanceLine.remittance_claim_id)
        .join(m.RemittancePayment, m.RemittancePayment.id == m.RemittanceClaim.payment_id)
        .where(m.RemittanceClaim.claim_id.is_not(None), m.RemittanceLine.line_number.is_(None))
        .order_by(m.RemittanceLine.id)
        .execution_options(yield_per=STREAM)
    )
    for payer, trace, position, cid, line, paid, reason in session.execute(lines):
        yield (
            {"level": "line", "payer": payer, "trace": trace, "clp": position,
             "control_number": cid, "line": line, "paid": str(paid), "reason": reason or ""}
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Unposted:
    """A payment refused at intake: what it says it paid, and why it was not posted."""

    intake_file_id: int
    locator: str  # the set in its file ("ST 0001 (line 3)")
    trace: str  # TRN02, when it can be read
    amount: Decimal | None  # BPR02, when it can be read
    reason: str


# Refused 835 sets are kept as read: their BPR02 and TRN02 are found in the kept text.
_BPR = re.compile(r"(?:^|[~\n])\s*BPR([*|^])[A-Z]{1,2}\1(-?\d{1,10}(?:\.\d{1,2})?)\1")
_TRN = re.compile(r"(?:^|[~\n])\s*TRN([*|^])\d\1([A-Za-z0-9-]{1,50})")


def unposted_payments(session: Session) -> list[Unposted]:
    """835 sets refused at intake and not posted since (no payment with their trace number)."""
    rows = session.execute(
        select(
            m.IntakeQuarantine.intake_file_id,
            m.IntakeQuarantine.locator,
            m.IntakeQuarantine.raw,
            m.IntakeQuarantine.reasons,
        )
        .where(m.IntakeQuarantine.record_type.in_(("x12_835", "x12_set")))
        .order_by(m.IntakeQuarantine.id)
    ).all()
    posted = set(session.scalars(select(m.RemittancePayment.trace_number)))
    out = []
    for file_id, locator, raw, reasons in rows:
        if not _is_835(raw):
            continue
        amount = _BPR.search(raw)
        trace = _TRN.search(raw)
        if trace is not None and trace.group(2) in posted:
            continue
        first = reasons[0] if reasons else {}
        said = f"{first.get('field', '')}: expected {first.get('expected', '')}; found {first.get('found', '')}"
        out.append(
            Unposted(
                file_id,
                locator,
                trace.group(2) if trace else "",
                Decimal(amount.group(2)) if amount else None,
                said if first else "unreadable",
            )
        )
    return out


def _is_835(raw: str) -> bool:
    head = raw[:4096]
    return bool(re.search(r"(?:^|[~\n])\s*ST[*|^]835", head)) or ("BPR" in head and "CLP" in raw)
