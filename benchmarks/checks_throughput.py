"""Steps 1-4 on generated claims held in memory: claims per second on one core.

Generates the claims, parses them into contexts (timed apart), then evaluates the four
pre-submission steps for every claim, cloned-note detection included. Reports the rate
with Python's cyclic garbage collector as is and with the loaded contexts frozen out of
it (gc.freeze(), what a long-running batch worker does after loading its inputs).

    python benchmarks/checks_throughput.py [--claims 100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from peak import peak_rss_mb

RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=100_000)
    args = parser.parse_args()
    from tasks.settings import cache_folder, get_settings
    from tasks.startup import use_cached_code_tables

    use_cached_code_tables(cache_folder(get_settings()))  # as the CLI and every flow do

    from rules.context import ContextIndex
    from rules.engine import evaluate
    from rules.loader import default_rule_set
    from rules.outcomes import PRE_SUBMISSION_STEPS
    from tasks.intake.reader import iter_raw, parse
    from tasks.synthetic.generator import GeneratorConfig, generate

    rule_set = default_rule_set()
    with tempfile.TemporaryDirectory() as tmp:
        generate(
            GeneratorConfig(seed=1, claims=args.claims, days=max(1, args.claims // 2000)), Path(tmp)
        )
        start = time.perf_counter()
        index = ContextIndex()
        for path in sorted(Path(tmp).glob("*.jsonl")):
            index.add(p.record for p in map(parse, iter_raw(path)) if p.record is not None)
        contexts = list(index.contexts())
        build_seconds = time.perf_counter() - start

    def run() -> float:
        begin = time.perf_counter()
        for ctx in contexts:
            for step in PRE_SUBMISSION_STEPS:
                evaluate(rule_set, ctx, step)
        return time.perf_counter() - begin

    plain = run()
    gc.freeze()
    frozen = run()
    result = {
        "claims": len(contexts),
        "context_build_seconds": round(build_seconds, 2),
        "evaluate_seconds": round(plain, 2),
        "claims_per_second": round(len(contexts) / plain),
        "evaluate_seconds_gc_frozen": round(frozen, 2),
        "claims_per_second_gc_frozen": round(len(contexts) / frozen),
        "peak_rss_mb": round(peak_rss_mb()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    print(
        f"steps 1-4 on {result['claims']:,} claims in memory: {result['claims_per_second']:,} claims/s "
        f"({result['claims_per_second_gc_frozen']:,} with the contexts frozen out of the GC); "
        f"contexts built in {build_seconds:.1f} s; peak {result['peak_rss_mb']} MB"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "checks.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
