"""The checks against the generator's ground truth: every planted defect found, no clean claim held.

Prints the precision/recall table (run pytest with -s, or read it in the report on failure).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.scoring import score_generated
from tasks.synthetic.defects import Defect


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):
    return score_generated(tmp_path_factory.mktemp("score"), claims=10_000, seed=7, days=28)


def test_every_defect_kind_is_planted_and_scored(result, capsys):
    """On 10,000 claims every defect kind is planted, found (recall 1.0) and only where planted (precision 1.0)."""
    with capsys.disabled():
        print("\n" + result.table())
    assert set(result.planted) == {d.value for d in Defect}
    assert {k: (result.precision(k), result.recall(k)) for k in result.planted} == {
        k: (1.0, 1.0) for k in result.planted
    }


def test_no_clean_claim_is_held(result):
    """A claim with nothing planted is never held, and no rule holds for a reason nobody planted."""
    assert result.clean_held == set()
    assert dict(result.unmapped_holds) == {}
    assert result.claims == 10_000


def test_a_second_seed_scores_perfectly_too(tmp_path: Path):
    """The result does not depend on one lucky seed."""
    other = score_generated(tmp_path, claims=3_000, seed=2027, days=14)
    assert other.clean_held == set()
    assert all(other.precision(k) == 1.0 and other.recall(k) == 1.0 for k in other.planted)
