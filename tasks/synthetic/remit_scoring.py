"""Score posting, matching and the post-payment audit against the 835 generator's ground truth.

Every planted payment problem must be found (an underpaid line audited as underpaid, a
denied line as denied, a stranger's CLP in the unmatched queue, a resent file posted as a
duplicate) and no correct payment may be flagged (a line paid as contracted, however the
payer echoed it: truncated control number, dropped modifiers, recoded, reversed and
re-paid, must be audited as paid correctly).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from rules.loader import RuleSet
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.reports import data


@dataclass
class RemitScore:
    planted: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    false_flags: list[str] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return not self.false_flags and all(self.found[k] == n for k, n in self.planted.items())

    def table(self) -> str:
        rows = [f"{'problem':28} {'planted':>8} {'found':>8}"]
        rows += [f"{k:28} {n:>8} {self.found[k]:>8}" for k, n in sorted(self.planted.items())]
        rows.append(f"correct payments flagged: {len(self.false_flags)}")
        return "\n".join(rows)


def read_truth(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def score(engine: Engine, rule_set: RuleSet, truth: list[dict[str, str]]) -> RemitScore:
    result = RemitScore()
    with session_scope(engine) as session:
        audited = {
            (ln.claim_id, ln.line_number): ln.outcome
            for ln in data.audited_lines(session, rule_set)
        }
        unmatched = set(
            session.scalars(
                select(m.RemittanceClaim.control_number).where(m.RemittanceClaim.claim_id.is_(None))
            )
        )
        files = {
            row.path.rsplit("/", 1)[-1]: (row.inserted, row.unchanged)
            for row in session.execute(
                select(m.IntakeFile.path, m.IntakeFile.inserted, m.IntakeFile.unchanged).where(
                    m.IntakeFile.format == "x12/835"
                )
            )
        }
    for row in truth:
        expected, problem = row["expected"], row["problem"]
        if expected == "no_contract":
            continue
        result.planted[problem] += 1
        if expected == "unmatched":
            ok = row["claim_id"] in unmatched
        elif expected == "duplicate":
            posted, duplicates = files.get(row["claim_id"], (1, 0))
            ok = posted == 0 and duplicates > 0
        else:
            got = audited.get((row["claim_id"], int(row["line_number"])), "not audited")
            ok = got == expected
            if not ok and expected == "paid_correctly":
                result.false_flags.append(
                    f"{row['claim_id']} line {row['line_number']} ({problem}): {got}"
                )
        if ok:
            result.found[problem] += 1
        else:
            result.misses[problem].append(row["claim_id"])
    return result
