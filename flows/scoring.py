"""`claimguard score`: generate claims, run steps 1-4 in memory, print precision and recall."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rules.context import ContextIndex
from rules.engine import evaluate
from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.intake.reader import iter_raw, parse
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.scoring import Score, read_truth, score


def score_generated(out: Path, *, claims: int, seed: int, days: int) -> Score:
    """Generate into `out`, build every claim's context in memory, evaluate and score."""
    generate(GeneratorConfig(seed=seed, claims=claims, days=days), out)
    index = ContextIndex()
    for path in sorted(out.glob("*.jsonl")):
        index.add(p.record for p in map(parse, iter_raw(path)) if p.record is not None)
    rule_set = default_rule_set()
    results = (
        (ctx, [evaluate(rule_set, ctx, step) for step in PRE_SUBMISSION_STEPS])
        for ctx in index.contexts()
    )
    return score(rule_set, results, read_truth(out / "ground-truth" / "ground_truth.csv"))


def run_scoring(*, claims: int, seed: int, days: int) -> int:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = score_generated(Path(tmp), claims=claims, seed=seed, days=days)
    print(
        f"{claims:,} generated claims (seed {seed}), steps 1-4, {time.perf_counter() - start:.1f} s\n"
    )
    print(result.table())
    perfect = (
        all(result.precision(k) == 1 and result.recall(k) == 1 for k in result.planted)
        and not result.clean_held
    )
    return 0 if perfect else 1
