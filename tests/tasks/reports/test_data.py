"""The report reads the claim database a page of claims at a time and keeps no audited
line: the page size, the spool's run size and whether files are written change nothing
it reports."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rules import leaks
from rules.loader import default_rule_set
from tasks import pipeline
from tasks.db.session import open_database, session_scope
from tasks.reports import build, data, render, spool
from tasks.runtime import Runtime
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
    return (
        engine,
        pipeline.run(Runtime.of_engine(engine), folder, workers=1, report_dir=reports),
        reports,
    )


@pytest.fixture(scope="module")
def audited(audited_run: tuple[Engine, pipeline.PipelineRun, Path]) -> Engine:
    return audited_run[0]


def _collect(engine: Engine) -> build.LeakReport:
    return build.collect(engine, default_rule_set())


def test_pages_of_seven_claims_report_what_one_page_of_all_does(
    audited: Engine, monkeypatch: pytest.MonkeyPatch
):
    whole = _collect(audited)
    assert whole.appeals.total and whole.held.total and len(whole.weekly) >= 5  # not empty
    assert whole.rates.claims_checked == 300 and whole.rates.claims_remitted > 0
    monkeypatch.setattr(data, "PAGE", 7)
    paged = _collect(audited)
    assert paged.ledger == whole.ledger
    assert paged.weekly == whole.weekly
    assert paged.held == whole.held
    assert paged.unmatched == whole.unmatched
    assert paged.appeals == whole.appeals


def test_the_ledger_sums_what_the_audited_lines_hold(audited: Engine):
    """Summing line by line as they are read gives what the lines held in a list would."""
    with session_scope(audited) as session:
        lines = list(data.audited_lines(session, default_rule_set()))
    report = _collect(audited)
    assert report.ledger == leaks.Ledger.of(lines)
    assert report.summary == leaks.summary(lines)
    assert report.ledger.underpayments_by("payer") == leaks.underpayments_by(lines, "payer")
    assert report.underpaid.total == sum(1 for ln in lines if ln.outcome == "underpaid") > 0


def test_the_appeals_queue_is_in_order_across_spilled_runs(
    audited: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Runs of 3 rows spill to disk and merge back: the CSV is the queue sorted in memory."""
    with session_scope(audited) as session:
        lines = list(data.audited_lines(session, default_rule_set()))
    expected = [render.appeal_row(ln) for ln, _ in leaks.appeals(lines)]
    assert len(expected) > 3 * 3  # several runs
    monkeypatch.setattr(spool, "RUN", 3)
    report = build.write(audited, default_rule_set(), {"appeals": tmp_path / "appeals.csv"})
    with (tmp_path / "appeals.csv").open() as handle:
        written = list(csv.DictReader(handle))
    assert [(r["claim_id"], r["line"], r["at_stake"]) for r in written] == [
        (r["claim_id"], str(r["line"]), r["at_stake"]) for r in expected
    ]
    assert report.appeals.total == len(expected) and report.files == {
        "appeals": tmp_path / "appeals.csv"
    }
    assert not (tmp_path / "leak-report.html").exists()  # only the file asked for


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
    report = build.write(audited, default_rule_set(), tmp_path)
    rates = report.rates
    assert f"{100 * rates.clean_claim_rate:.1f} %" in report.files["html"].read_text()


def test_every_queue_row_is_in_its_csv_and_the_first_rows_in_the_report(
    audited: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(render, "HTML_ROWS", 5)
    report = build.write(audited, default_rule_set(), tmp_path)
    for name in ("appeals", "held", "underpaid"):
        queue: render.WorkQueue = getattr(report, name)
        with report.files[name].open() as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == queue.total > 0, name
        kept = [{c: str(r[c]) for c in queue.columns} for r in queue.first]
        assert rows[: len(kept)] == kept, name
    page = report.files["html"].read_text()
    assert report.appeals.total > render.HTML_ROWS
    assert f"… {report.appeals.total - render.HTML_ROWS:,} more in the CSV export" in page


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
    assert run.report.ledger == _collect(engine).ledger
    assert run.report.summary.lines["underpaid"] > 0
