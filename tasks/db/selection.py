"""Which claims a run works on: by id, by payer and dates, by the rule holding them, or unchecked.

Every criterion is a condition on the claim table, so a selection is one query, and its ids
are read a page at a time in claim-id order (keyset paging: each page starts after the last
id of the one before). A run over a million claims never holds the million ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session, aliased

from rules.outcomes import CheckpointStatus, Severity, Step
from tasks.db import models as m

IN_CHUNK = 500  # ids per IN (...) list: well inside every database's parameter limit
PAGE = 5000


def select_claims(session: Session, **criteria: Any) -> list[str]:
    """Every claim matching all the criteria given (see `claim_pages`), in claim-id order.

    For selections small enough to hold; a batch of any size is read with `claim_pages`.
    """
    return [cid for page in claim_pages(session, **criteria) for cid in page]


def claim_pages(
    session: Session,
    *,
    size: int = PAGE,
    after: str | None = None,
    claim_ids: Sequence[str] = (),
    payer_id: str | None = None,
    plan_id: str | None = None,
    provider_npi: str | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
    held_by_rule: str | None = None,
    unchecked_steps: Sequence[Step] = (),
    remitted: bool = False,
) -> Iterator[list[str]]:
    """The matching claim ids in pages of `size`, in claim-id order; a page is read when asked for.

    `after` starts past an id already seen, so pages can be read in separate sessions.
    """
    conditions = _conditions(
        payer_id=payer_id,
        plan_id=plan_id,
        provider_npi=provider_npi,
        service_from=service_from,
        service_to=service_to,
        held_by_rule=held_by_rule,
        unchecked_steps=unchecked_steps,
        remitted=remitted,
    )
    if claim_ids:
        given = sorted(cid for cid in set(claim_ids) if after is None or cid > after)
        yield from _given_pages(session, given, conditions, size)
    else:
        yield from _keyset_pages(session, conditions, size, after)


def claim_stamps(session: Session, **criteria: Any) -> Iterator[str]:
    """Each selected claim as `id@received_at`, in claim-id order, a page at a time.

    What names a batch: the same claims, one of them received again since (an 837P claim
    documented by a later packet), are another batch, so the claim is checked again.
    """
    for page in claim_pages(session, **criteria):
        received: dict[str, dt.datetime] = {}
        for start in range(0, len(page), IN_CHUNK):
            ids = page[start : start + IN_CHUNK]
            query = sql_select(m.Claim.claim_id, m.Claim.received_at).where(
                m.Claim.claim_id.in_(ids)
            )
            received.update((cid, at) for cid, at in session.execute(query))
        yield from (f"{cid}@{received[cid].isoformat()}" for cid in page)


def unchecked(session: Session, steps: Sequence[Step]) -> list[str]:
    """Claims without a current result for any of `steps` (see `_unchecked`)."""
    return select_claims(session, unchecked_steps=steps)


def awaiting_payment_audit(session: Session) -> list[str]:
    """Claims with a remittance posted after their last post-payment audit started (or never audited)."""
    return select_claims(session, remitted=True)


def _conditions(
    *,
    payer_id: str | None = None,
    plan_id: str | None = None,
    provider_npi: str | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
    held_by_rule: str | None = None,
    unchecked_steps: Sequence[Step] = (),
    remitted: bool = False,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if payer_id:
        conditions.append(m.Claim.payer_id == payer_id)
    if plan_id:
        conditions.append(
            m.Claim.coverage_id.in_(
                sql_select(m.Coverage.coverage_id).where(m.Coverage.plan_id == plan_id)
            )
        )
    if provider_npi:
        conditions.append(m.Claim.rendering_npi == provider_npi)
    if service_from:
        conditions.append(m.Claim.service_date >= service_from)
    if service_to:
        conditions.append(m.Claim.service_date <= service_to)
    if held_by_rule:
        conditions.append(_held_by(held_by_rule))
    if unchecked_steps:
        conditions.append(_unchecked(unchecked_steps))
    if remitted:
        conditions.append(_awaiting_audit())
    return conditions


def page_query(*, size: int = PAGE, after: str | None = None, **criteria: Any) -> Select[str]:
    """The statement that reads one page of a selection (see `claim_pages` for the criteria);
    public so the plans the databases choose for it can be examined."""
    return _page_query(_conditions(**criteria), size, after)


def _page_query(conditions: list[ColumnElement[bool]], size: int, after: str | None) -> Select[str]:
    query = sql_select(m.Claim.claim_id).where(*conditions)
    if after is not None:
        query = query.where(m.Claim.claim_id > after)
    return query.order_by(m.Claim.claim_id).limit(size)


def _keyset_pages(
    session: Session, conditions: list[ColumnElement[bool]], size: int, last: str | None
) -> Iterator[list[str]]:
    while True:
        page = list(session.scalars(_page_query(conditions, size, last)))
        if page:
            yield page
        if len(page) < size:
            return
        last = page[-1]


def _given_pages(
    session: Session, given: list[str], conditions: list[ColumnElement[bool]], size: int
) -> Iterator[list[str]]:
    """Ids the user named, the ones that exist and match; `given` is sorted, so pages stay in order."""
    page: list[str] = []
    for start in range(0, len(given), IN_CHUNK):
        query = sql_select(m.Claim.claim_id).where(
            m.Claim.claim_id.in_(given[start : start + IN_CHUNK]), *conditions
        )
        page += sorted(session.scalars(query))
        while len(page) >= size:
            yield page[:size]
            page = page[size:]
    if page:
        yield page


def _unchecked(steps: Sequence[Step]) -> ColumnElement[bool]:
    """No current result for some step: never checked, a run died first, checking errored, or
    the claim changed since (an 837P claim documented by a later JSON packet)."""
    return or_(
        *(
            ~exists().where(
                m.ClaimCheckpoint.claim_id == m.Claim.claim_id,
                m.ClaimCheckpoint.step == step,
                m.ClaimCheckpoint.status != CheckpointStatus.ERROR,
                m.ClaimCheckpoint.started_at >= m.Claim.received_at,
            )
            for step in steps
        )
    )


def _held_by(rule_id: str) -> ColumnElement[bool]:
    """The claim's current checkpoint in some step holds it by `rule_id`.

    Current means no later checkpoint of the same claim and step: asked per claim through
    the (claim, step) index, so a page costs its own claims, not every checkpoint.
    """
    later = aliased(m.ClaimCheckpoint)
    return exists().where(
        m.ClaimCheckpoint.claim_id == m.Claim.claim_id,
        m.CheckpointFinding.checkpoint_id == m.ClaimCheckpoint.id,
        m.CheckpointFinding.rule_id == rule_id,
        m.CheckpointFinding.severity == Severity.HELD,
        ~exists().where(
            later.claim_id == m.ClaimCheckpoint.claim_id,
            later.step == m.ClaimCheckpoint.step,
            later.id > m.ClaimCheckpoint.id,
        ),
    )


def _awaiting_audit() -> ColumnElement[bool]:
    """A remittance posted after the claim's last post-payment audit started (or never audited)."""
    last_audit = (
        sql_select(func.max(m.ClaimCheckpoint.started_at))
        .where(
            m.ClaimCheckpoint.claim_id == m.Claim.claim_id,
            m.ClaimCheckpoint.step == Step.POST_PAYMENT_AUDIT,
            m.ClaimCheckpoint.status != CheckpointStatus.ERROR,
        )
        # Nested in the EXISTS below, the subquery would not correlate to the outer claim
        # by itself: it would take the newest audit of every claim, so once any claim was
        # audited, claims paid before that moment left the selection unaudited.
        .correlate(m.Claim)
        .scalar_subquery()
    )
    return exists().where(
        m.RemittanceClaim.claim_id == m.Claim.claim_id,
        m.RemittancePayment.id == m.RemittanceClaim.payment_id,
        or_(last_audit.is_(None), m.RemittancePayment.posted_at > last_audit),
    )


def payer_named(session: Session, given: str) -> str | None:
    """The payer id on file that `given` names, ignoring case ("Medicare" is medicare)."""
    ids = session.scalars(sql_select(m.Payer.payer_id)).all()
    exact = [pid for pid in ids if pid == given]
    folded = [pid for pid in ids if pid.casefold() == given.casefold()]
    found = exact or folded
    return found[0] if len(found) == 1 else None


def payer_ids(session: Session) -> list[str]:
    return list(session.scalars(sql_select(m.Payer.payer_id).order_by(m.Payer.payer_id)))


def payer_names(session: Session) -> list[tuple[str, str]]:
    """(payer id, name) of every payer on file, by id."""
    rows = session.execute(sql_select(m.Payer.payer_id, m.Payer.name).order_by(m.Payer.payer_id))
    return [(pid, name) for pid, name in rows]


def plan_names(session: Session) -> list[tuple[str, str]]:
    """(plan id, "payer: plan name") of every plan on file, by id."""
    rows = session.execute(
        sql_select(m.Plan.plan_id, m.Plan.payer_id, m.Plan.name).order_by(m.Plan.plan_id)
    )
    return [(plan, f"{payer}: {name}") for plan, payer, name in rows]


def provider_names(session: Session) -> list[tuple[str, str]]:
    """(NPI, "Last, First credential") of every rendering provider on file, by name.

    Clinicians' names, not patients': fit for a form."""
    rows = session.execute(
        sql_select(
            m.Provider.npi, m.Provider.last_name, m.Provider.first_name, m.Provider.credential
        ).order_by(m.Provider.last_name, m.Provider.first_name)
    )
    return [
        (npi, f"{last}, {first}" + (f" {credential.value}" if credential else ""))
        for npi, last, first, credential in rows
    ]


def claims_not_on_file(session: Session, claim_ids: Sequence[str]) -> list[str]:
    """The given claim ids no claim on file has, in the order given."""
    found: set[str] = set()
    unique = sorted(set(claim_ids))
    for start in range(0, len(unique), IN_CHUNK):
        chunk = unique[start : start + IN_CHUNK]
        found.update(
            session.scalars(sql_select(m.Claim.claim_id).where(m.Claim.claim_id.in_(chunk)))
        )
    return [cid for cid in claim_ids if cid not in found]


def any_claim(session: Session, **criteria: Any) -> bool:
    """Whether at least one claim matches the criteria (see `claim_pages`)."""
    return bool(next(claim_pages(session, size=1, **criteria), []))


def claims_billing(
    session: Session,
    codes: Sequence[str],
    since: dt.date,
    *,
    paid_only: bool = False,
    payer_id: str | None = None,
) -> Iterator[list[str]]:
    """Pages of the claims with a line of one of `codes` served on or after `since` (any
    code when `codes` is empty), in claim-id order; `paid_only`: those with a remittance;
    `payer_id`: those billed to that payer."""
    line = m.ClaimLine
    condition = (line.claim_id == m.Claim.claim_id) & (line.service_date >= since)
    if codes:
        condition &= line.procedure_code.in_(sorted(codes))
    conditions: list[ColumnElement[bool]] = [exists().where(condition)]
    if paid_only:
        conditions.append(exists().where(m.RemittanceClaim.claim_id == m.Claim.claim_id))
    if payer_id is not None:
        conditions.append(m.Claim.payer_id == payer_id)
    after: str | None = None
    while True:
        query = sql_select(m.Claim.claim_id).where(*conditions)
        if after is not None:
            query = query.where(m.Claim.claim_id > after)
        page = list(session.scalars(query.order_by(m.Claim.claim_id).limit(PAGE)))
        if not page:
            return
        yield page
        after = page[-1]
