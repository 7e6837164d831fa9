"""The report reads the claim database a page of claims at a time, and the page size
changes nothing it reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tasks import pipeline
from tasks.db.session import open_database
from tasks.reports import build, data
from tasks.rule_source import current_rule_set
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_remittances


@pytest.fixture(scope="module")
def audited_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Engine, pipeline.PipelineRun, Path]:
    """300 claims over five weeks, checked, paid by 835s, audited (step 5) and reported."""
    folder = tmp_path_factory.mktemp("report") / "inbox"
    generate(GeneratorConfig(seed=5, claims=300, start=dt.date(2026, 9, 7), days=35), folder)
    write_remittances(folder, seed=5)
    engine = open_database(f"sqlite:///{folder.parent / 'claims.db'}")
    reports = folder.parent / "reports"
    return engine, pipeline.run(engine, folder, workers=1, report_dir=reports), reports


@pytest.fixture(scope="module")
def audited(audited_run: tuple[Engine, pipeline.PipelineRun, Path]) -> Engine:
    return audited_run[0]


def _collect(engine: Engine) -> build.LeakReport:
    return build.collect(engine, current_rule_set())


def test_pages_of_seven_claims_report_what_one_page_of_all_does(
    audited: Engine, monkeypatch: pytest.MonkeyPatch
):
    whole = _collect(audited)
    assert whole.lines and whole.held and len(whole.weekly) >= 5  # the data is not empty
    assert whole.rates.claims_checked == 300 and whole.rates.claims_remitted > 0
    monkeypatch.setattr(data, "PAGE", 7)
    paged = _collect(audited)
    assert paged.lines == whole.lines
    assert paged.weekly == whole.weekly
    assert paged.held == whole.held
    assert paged.unmatched == whole.unmatched


def test_a_page_is_read_for_only_its_own_claims(audited: Engine, monkeypatch: pytest.MonkeyPatch):
    """With pages of 7, no read of claim states or held claims covers more than 7 claims."""
    seen: list[int] = []
    claim_states, held_rows = data.claim_states, data._held_rows

    def counting_states(session, claim_ids):  # type: ignore[no-untyped-def]
        seen.append(len(claim_ids))
        return claim_states(session, claim_ids)

    def counting_held(session, page):  # type: ignore[no-untyped-def]
        seen.append(len(page))
        return held_rows(session, page)

    monkeypatch.setattr(data, "PAGE", 7)
    monkeypatch.setattr(data, "claim_states", counting_states)
    monkeypatch.setattr(data, "_held_rows", counting_held)
    report = _collect(audited)
    assert max(seen) == 7 and sum(seen) == 2 * 300
    assert report.rates.claims_checked == 300


def test_the_written_report_keeps_its_rates(audited: Engine, tmp_path: Path):
    report = build.write(_collect(audited), tmp_path)
    rates = report.rates
    assert f"{100 * rates.clean_claim_rate:.1f} %" in report.files["html"].read_text()


def test_the_plain_pipeline_writes_the_report_the_flow_writes(
    audited_run: tuple[Engine, pipeline.PipelineRun, Path],
):
    """Given a report folder, the plain job writes the HTML report and every work queue,
    from what the database holds at its end, and times it as a phase of its own."""
    engine, run, reports = audited_run
    assert run.report is not None and run.seconds["report"] > 0
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        path.name for path in run.report.files.values()
    )
    assert {"html", "appeals", "held", "underpaid", "unmatched"} <= set(run.report.files)
    assert run.report.lines == _collect(engine).lines
    assert run.report.summary.lines["underpaid"] > 0
