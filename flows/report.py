"""Plain-text reports for the terminal. They print ids and counts, never patient data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rules.loader import RuleSet
from tasks.db.checkpoints import StepSummary
from tasks.db.models import IntakeFile
from tasks.db.repository import QuarantinedRecord
from tasks.intake.loader import FileReport
from tasks.text import printable


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A fixed-width text table; numbers right-aligned."""
    # Cells may come from a sender's file: control characters (ESC, C1) are shown as '?'.
    body = [[printable(str(c)) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]
    numeric = [
        all(r[i].replace(",", "").replace(".", "").isdigit() for r in body) and body
        for i in range(len(headers))
    ]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in body)])


def print_generated(manifest: Any, out: Path, *, truth: Path | None = None) -> None:
    """What was generated into `out`; `truth`: the folder the ground truth is in, when it
    was moved out of `out` (the demo keeps it out of the inbox)."""
    print(
        f"generated {manifest.claims:,} claims ({manifest.records:,} records) with seed {manifest.seed} into {out}/"
    )
    print(f"  files: {', '.join(manifest.files)}")
    planted = sum(manifest.defects.values())
    where = truth or out / "ground-truth"
    print(f"  planted defects: {planted:,} (ground truth in {where}/ground_truth.csv)")


def print_load(reports: list[FileReport]) -> None:
    rows: list[tuple[object, ...]] = [
        (
            Path(r.path).name,
            r.records_in,
            r.counts["insert"],
            r.counts["update"],
            r.counts["unchanged"],
            r.quarantined,
            "yes" if r.reconciles else "NO",
        )
        for r in reports
    ]
    totals = [sum(int(str(r[i])) for r in rows) for i in range(1, 6)]
    rows.append(("total", *totals, "yes" if all(r.reconciles for r in reports) else "NO"))
    print(
        table(
            ("file", "records in", "inserted", "updated", "unchanged", "quarantined", "reconciles"),
            rows,
        )
    )
    said = [(r, r.claims_said()) for r in reports if sum(r.claims.values())]
    if said:
        print()
        for r, claims in said:
            print(printable(f"{Path(r.path).name}: {claims}"))
    notes = [(r, note) for r in reports for note in r.notes]
    if notes:
        print("\nread as meant, but worth saying:")
        for r, note in notes[:20]:
            print(printable(f"  {Path(r.path).name}: {note}"))
    payers: Counter[str] = Counter()
    for r in reports:
        payers.update(r.claims_by_payer)
    if payers:
        print("\nclaims loaded by payer")
        print(table(("payer", "claims"), sorted(payers.items())))
    problems = [p for r in reports for p in r.problems]
    if problems:
        print(
            f"\nquarantined records (first {min(len(problems), 10)} of {sum(r.quarantined for r in reports)}):"
        )
        for ref, reasons in problems[:10]:
            print(f"  {ref}")
            for reason in reasons:
                print(f"    - {reason}")


def print_quarantine(records: list[QuarantinedRecord]) -> None:
    if not records:
        print("no quarantined records")
        return
    print(f"\nquarantined records (newest {len(records)}):")
    for q in records:
        what = " ".join(p for p in (q.record_type, q.record_key) if p)
        line = f"#{q.id} {q.source_path} {q.locator}" + (f" ({what})" if what else "")
        print(printable(line))
        for reason in q.reasons:
            said = (
                f"    - {reason['field']}: expected {reason['expected']}; found {reason['found']}"
            )
            print(printable(said))


def print_steps(summaries: list[StepSummary], rule_set: RuleSet) -> None:
    """Per step: claims passed, warned, held; then the rules that hold the most claims."""
    titles = {rule.id: rule.title for _, rule in rule_set.all_rules()}
    rows = [
        (
            s.step.value,
            s.statuses["passed"],
            s.statuses["warning"],
            s.statuses["held"],
            s.statuses["error"],
        )
        for s in summaries
    ]
    print(table(("step", "passed", "warning", "held", "error"), rows))
    for summary in summaries:
        top = summary.held_by_rule.most_common(3)
        if top:
            print(f"\n  {summary.step.value}: top rules holding claims")
            for rule_id, count in top:
                print(f"    {count:>5}  {rule_id}  {titles.get(rule_id, '')}")


def print_intake_files(files: list[IntakeFile]) -> None:
    """Per file: records in, inserted, updated, unchanged, quarantined, and whether they reconcile."""
    rows = [
        (
            Path(f.path).name,
            f.records_in,
            f.inserted,
            f.updated,
            f.unchanged,
            f.quarantined,
            "yes" if f.records_in == f.inserted + f.updated + f.unchanged + f.quarantined else "NO",
        )
        for f in files
    ]
    print(
        table(
            ("file", "records in", "inserted", "updated", "unchanged", "quarantined", "reconciles"),
            rows,
        )
    )


def print_file_ids(files: list[IntakeFile]) -> None:
    """Per file: its id, its name (as read), its format, records in and out, and why its
    records were not taken, if they were not."""
    rows = [
        (
            f.id,
            f.path,
            f.format,
            f.records_in,
            f.quarantined,
            f.unread_reason or ("" if f.finished_at else "not finished"),
        )
        for f in files
    ]
    print(table(("id", "file", "format", "records in", "quarantined", "not read because"), rows))
    noted = [(f.id, note) for f in files for note in (f.notes or [])]
    if noted:
        print("\nread as meant, but worth saying:")
        for file_id, note in noted[:20]:
            print(printable(f"  {file_id}: {note}"))


CHANGE_COLUMNS = ("claim_id", "step", "before", "after", "added", "removed")


def change_row(change: Any) -> dict[str, str]:
    """A re-audit change as a row: claim id, step, statuses, rule ids added and removed."""
    return {
        "claim_id": change.claim_id,
        "step": change.step.value,
        "before": change.status_before,
        "after": change.status_after,
        "added": ", ".join(change.added) or "-",
        "removed": ", ".join(change.removed) or "-",
    }


def print_changes(rows: list[dict[str, str]], total: int) -> None:
    if not rows:
        print("no claim changed")
        return
    print(table(("claim", "step", "before", "after", "findings added", "findings removed"),
                [[row[c] for c in CHANGE_COLUMNS] for row in rows]))  # fmt: skip
    if total > len(rows):
        print(f"... and {total - len(rows):,} more (--csv PATH writes them all)")


def print_stuck(pages: Mapping[Any, Any]) -> None:
    """Each kind's count, then the claims listed of each kind (a page of them)."""
    print(
        table(("kind", "claims"), [(str(kind), f"{page.total:,}") for kind, page in pages.items()])
    )
    rows = [
        (s.kind, s.claim_id, s.payer_id, s.step or "-", s.since or "", s.detail)
        for page in pages.values()
        for s in page.claims
    ]
    if rows:
        print(table(("kind", "claim", "payer", "step", "since", "detail"), rows))
    else:
        print("no stuck claims")


def print_claim(history: Any) -> None:
    print(
        f"claim {history.claim_id}  payer {history.payer_id}  date of service {history.service_date}"
    )
    for number, code, modifiers, units in history.lines:
        print(f"  line {number}: {code}{'-' + '-'.join(modifiers) if modifiers else ''} x {units}")
    if not history.checkpoints:
        print("  no checkpoints yet")
    for cp in history.checkpoints:
        print(
            f"  {cp.finished_at:%Y-%m-%d %H:%M}  {cp.step.value:<18} {cp.status.value:<8} attempt {cp.attempt}  rules {cp.rule_set_version[:12]}"
        )
        for f in cp.findings:
            where = f" line {f.line_number}" if f.line_number else ""
            print(f"      {f.severity.value:<7} {f.rule_id}{where}: {f.message}")
