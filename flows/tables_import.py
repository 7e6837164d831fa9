"""`claimguard tables import`: a CMS or X12 reference file into the rules folder's tables.

The import reads the file in its published layout, shows what it changes in the tables in
force on the effective date, proves the new tables load, judges again (a dry run) the
claims whose verdicts they change, and only then writes them, unless told it is a dry run.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from flows.report import table
from rules.errors import RuleFileError
from rules.loader import load_rule_set
from tasks.reference.contracts import ContractFile, plan_contract
from tasks.reference.layouts import LayoutError, Read, TableKind
from tasks.reference.proposal import Proposal, propose, rules_with
from tasks.reference.update import ChangeKind, Plan, apply, plan_import

SHOWN = 40  # changes listed on the terminal; every one is in the counts


class ImportRefused(Exception):
    """The file cannot be imported as asked: one line for the user."""


@dataclass(frozen=True, kw_only=True)
class ImportRequest:
    kind: TableKind
    file: Path
    effective: dt.date
    folder: Path  # a rules folder: payers/ and tables/
    dry_run: bool
    all_codes: bool = False
    illustrative: bool = False
    rules_named: bool = True  # the folder was named (--rules or CLAIMGUARD_RULES_DIR)


def run_import(request: ImportRequest, engine: Engine | None) -> Plan:
    """Plan, show, propose and (unless a dry run) write; raises ImportRefused."""
    data = _bytes(request.file)
    try:
        plan, read = plan_import(
            request.kind,
            data,
            file_name=request.file.name,
            effective=request.effective,
            folder=request.folder / "tables",
            all_codes=request.all_codes,
            illustrative=request.illustrative,
        )
    except LayoutError as error:
        raise ImportRefused(
            f"{request.file.name} is not a {request.kind.value} file: {error}"
        ) from None
    _print_read(request.kind.value, request, plan, read)
    return _complete(request, plan, read, engine)


@dataclass(frozen=True, kw_only=True)
class ContractRequest:
    file: Path
    payer_id: str
    effective: dt.date
    folder: Path
    dry_run: bool
    plan_id: str = ""
    term: str = ""
    amendment: bool = False
    rules_named: bool = True


def run_contract_import(request: ContractRequest, engine: Engine | None) -> Plan:
    """A payer's contract fee schedule from the practice's CSV: shown, proposed, written."""
    data = _bytes(request.file)
    contract = ContractFile(
        payer_id=request.payer_id,
        file_name=request.file.name,
        effective=request.effective,
        plan_id=request.plan_id,
        term=request.term,
        amendment=request.amendment,
    )
    try:
        plan, read = plan_contract(data, contract, request.folder / "tables")
    except LayoutError as error:
        raise ImportRefused(
            f"{request.file.name} is not a contract fee schedule: {error}"
        ) from None
    _print_read(f"contract for {request.payer_id}", request, plan, read)
    return _complete(request, plan, read, engine)


def _bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise ImportRefused(f"{file} cannot be read: {error.strerror or error}") from None


def _complete(
    request: ImportRequest | ContractRequest, plan: Plan, read: Read[Any], engine: Engine | None
) -> Plan:
    """Show the difference, prove the tables load, propose the re-audit, write."""
    if not read.records:
        raise ImportRefused(f"{request.file.name}: no row of it could be read, nothing imported")
    _print_plan(plan)
    if not plan.changes:
        print("nothing to change: the tables already say what the file says")
        return plan
    try:
        with rules_with(plan, request.folder) as rule_set:
            proposal = propose(engine, plan, rule_set) if engine is not None else None
    except RuleFileError as error:
        raise ImportRefused(
            f"the imported tables would not load, nothing written: {error.problems[0]}"
        ) from None
    _print_proposal(plan, proposal, engine)
    if request.dry_run:
        print("dry run: no table written")
        return plan
    before = load_rule_set(request.folder).version
    names = ", ".join(apply(plan, request.folder / "tables"))
    after = load_rule_set(request.folder).version
    print(
        f"wrote {names} in {request.folder / 'tables'}; rule-set version {before[:12]} → {after[:12]}"
    )
    if proposal is not None and proposal.changed_claims:
        _print_command(request, plan)
    return plan


def _print_read(
    what: str, request: ImportRequest | ContractRequest, plan: Plan, read: Read[Any]
) -> None:
    scope = (
        f", {plan.out_of_scope:,} outside behavioural health (--all-codes keeps them)"
        if plan.out_of_scope
        else ""
    )
    notes = f", {read.notes:,} notes or split rows skipped" if read.notes else ""
    print(
        f"{what} {request.file.name} effective {request.effective}: {read.rows:,} rows read, "
        f"{len(read.records):,} records{scope}{notes}, {len(read.refused):,} refused"
    )
    for refused in read.refused[:10]:
        print(f"  refused line {refused.line}: {refused.reason}")
    if len(read.refused) > 10:
        print(f"  ... and {len(read.refused) - 10:,} more refused rows")


def _print_plan(plan: Plan) -> None:
    counts = ", ".join(f"{plan.count(kind)} {kind.value}" for kind in ChangeKind)
    print(
        f"difference from the tables in force on {plan.effective}: {counts}, {plan.unchanged} unchanged"
    )
    if plan.changes:
        shown = plan.changes[:SHOWN]
        print(
            table(("change", "code / key", "what"), [(c.kind.value, c.key, c.what) for c in shown])
        )
        if len(plan.changes) > SHOWN:
            print(f"... and {len(plan.changes) - SHOWN:,} more")
    for note in plan.notes:
        print(f"note: {note}")


def _print_proposal(plan: Plan, proposal: Proposal | None, engine: Engine | None) -> None:
    if engine is None:
        print("no claim database: no re-audit to propose")
        return
    if proposal is None:
        print("no verdict reads this table: no re-audit needed")
        return
    steps = ", ".join(s.value for s in plan.steps)
    print(
        f"re-audit proposed (dry run, nothing written): {proposal.claims:,} claim(s) served from "
        f"{plan.since} judged again ({steps}); {proposal.changed_claims:,} would change"
    )
    if proposal.moves:
        print(
            table(
                ("step: before → after", "claims"),
                [(k, f"{n:,}") for k, n in proposal.moves.most_common()],
            )
        )


def _print_command(request: ImportRequest | ContractRequest, plan: Plan) -> None:
    reason = f"{plan.kind} {request.file.name} effective {request.effective}"
    steps = " ".join(f"--step {s.value.replace('_', '-')}" for s in plan.steps)
    prefix = (
        f"CLAIMGUARD_RULES_DIR={shlex.quote(str(request.folder))} " if request.rules_named else ""
    )
    print(
        "to re-audit them under the new tables: "
        f"{prefix}claimguard reaudit --reason {shlex.quote(reason)} "
        + (f"--payer {plan.payer_id} " if plan.payer_id else "")
        + f"--service-from {plan.since} {steps} --dry-run "
        "(then again without --dry-run)"
    )
