"""The daily intake reads finished files only: a file still written, or changed while read,
stays in the inbox and nothing in it is lost; every other file is accounted for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from flows.daily_intake import daily_intake
from flows.params import DailyIntakeParams
from tasks import inbox_tasks
from tasks.db import models as m
from tasks.db.session import open_database, session_scope
from tasks.reports import build
from tasks.synthetic.generator import GeneratorConfig, generate
from tests import builders as b
from tests.support.runtime import env_runtime

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _patients(start: int, count: int) -> list[bytes]:
    return [
        json.dumps(b.patient(n, patient_id=f"PT-{n}")).encode() for n in range(start, start + count)
    ]


def _count(model: type) -> int:
    with session_scope(env_runtime().engine()) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _files() -> list[m.IntakeFile]:
    with session_scope(env_runtime().engine()) as session:
        return list(session.scalars(select(m.IntakeFile).order_by(m.IntakeFile.id)))


def _run(inbox: Path, quiet: float = 0) -> Any:
    return daily_intake(
        DailyIntakeParams(
            inbox=str(inbox), quiet_seconds=quiet, report_dir=str(inbox.parent / "r")
        ),
        return_state=True,
    )


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_a_file_written_during_the_run_waits_and_nothing_is_lost(claim_db: str, inbox: Path):
    """A producer appends for a few seconds while the intake runs: the file is not read
    part-way (it is still changing), and the run after the producer finishes loads it all."""
    path = inbox / "patients.jsonl"
    b.write_jsonl(path, _patients(1, 200))
    stop = threading.Event()
    written = [200]

    # The producer writes until the first run is over, however long that run takes to start
    # on a busy machine: the file is always still changing while the intake looks at it.
    def produce() -> None:
        while not stop.is_set():
            start = written[0] + 1
            with path.open("ab") as handle:
                handle.write(b"\n".join(_patients(start, 100)) + b"\n")
            written[0] += 100
            time.sleep(0.1)

    writer = threading.Thread(target=produce)
    writer.start()
    try:
        first = _run(inbox, quiet=1.0)
    finally:
        stop.set()
        writer.join()
    assert first.is_completed() and "1 file(s) not finished, left in the inbox" in first.message
    assert path.exists() and _count(m.Patient) == 0
    second = _run(inbox, quiet=0)
    assert second.is_completed()
    assert _count(m.Patient) == written[0] and _count(m.IntakeQuarantine) == 0
    assert not path.exists() and (inbox / "processed" / "patients.jsonl").exists()


@pytest.mark.parametrize("change", ["append", "truncate", "replace"])
def test_a_file_changed_while_read_is_left_and_read_again(
    claim_db: str, inbox: Path, monkeypatch: pytest.MonkeyPatch, change: str
):
    """The file changes after the loader read it and before it is filed away: the read is
    voided (its quarantined half-record too), the file stays, and the next run reads it whole."""
    path = b.write_jsonl(inbox / "patients.jsonl", _patients(1, 500))
    real_load = inbox_tasks.load_file

    def load_then_change(*args: Any, **kwargs: Any) -> Any:
        report = real_load(*args, **kwargs)
        if change == "append":
            with path.open("ab") as handle:
                handle.write(b"\n".join(_patients(501, 100)) + b"\n")
        elif change == "truncate":
            with path.open("r+b") as handle:
                handle.truncate(path.stat().st_size // 2)
        else:
            fresh = b.write_jsonl(inbox.parent / "fresh.jsonl", _patients(1001, 50))
            os.replace(fresh, path)
        return report

    monkeypatch.setattr(inbox_tasks, "load_file", load_then_change)
    first = _run(inbox)
    monkeypatch.setattr(inbox_tasks, "load_file", real_load)
    assert first.is_completed() and "left in the inbox" in first.message
    (voided,) = _files()
    expected = {
        "append": "it changed size while it was read (",
        "truncate": "it changed size while it was read (",
        "replace": "it was replaced while it was read",
    }[change]
    assert (voided.unread_reason or "").startswith(expected)
    assert path.exists() and not (inbox / "processed").exists()
    second = _run(inbox)
    assert second.is_completed()
    lines = (inbox / "processed" / "patients.jsonl").read_bytes().splitlines()
    reread = _files()[-1]
    assert (reread.unread_reason, reread.records_in) == (None, len(lines))
    # What the voided read loaded stays (the replaced file's records too); nothing is lost.
    assert _count(m.Patient) == {"append": 600, "truncate": 500, "replace": 550}[change]
    # The truncated file's cut last line is refused on the second read, with its reason.
    assert _count(m.IntakeQuarantine) == (1 if change == "truncate" else 0)


def test_every_file_in_the_inbox_is_accounted_for(claim_db: str, inbox: Path):
    """Compressed and unknown files go to failed/ with what to do; an upload in progress
    waits; the run says so and fails, since someone must act on the refused files."""
    b.write_jsonl(inbox / "master.jsonl", [json.dumps(r).encode() for r in b.master()])
    (inbox / "week.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (inbox / "notes.docx").write_bytes(b"PK\x03\x04")
    (inbox / "claims.jsonl.part").write_text("{}\n")
    state = _run(inbox)
    assert state.is_failed() and "2 file(s) failed" in (state.message or "")
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == [
        "notes.docx",
        "notes.docx.reason.txt",
        "week.jsonl.gz",
        "week.jsonl.gz.reason.txt",
    ]
    assert (
        (inbox / "failed" / "week.jsonl.gz.reason.txt")
        .read_text()
        .startswith("a compressed file (gzip)")
    )
    assert (inbox / "claims.jsonl.part").exists()
    assert (inbox / "processed" / "master.jsonl").exists()


@pytest.mark.parametrize("fate", ["deleted", "replaced"])
def test_a_database_lost_mid_run_fails_the_run_and_moves_nothing(
    claim_db: str, inbox: Path, monkeypatch: pytest.MonkeyPatch, fate: str
):
    """The SQLite file is deleted (or deleted and made again) after the first file loads:
    the run fails naming it, and every input is still in the inbox for the next run."""
    b.write_jsonl(inbox / "a.jsonl", _patients(1, 50))
    b.write_jsonl(inbox / "b.jsonl", _patients(51, 50))
    database = Path(claim_db.removeprefix("sqlite:///"))
    real_load = inbox_tasks.load_file

    def load_then_lose_the_database(*args: Any, **kwargs: Any) -> Any:
        report = real_load(*args, **kwargs)
        for path in database.parent.glob(database.name + "*"):
            path.unlink()
        if fate == "replaced":
            open_database(claim_db).dispose()  # an empty claim database of its own
        return report

    monkeypatch.setattr(inbox_tasks, "load_file", load_then_lose_the_database)
    state = _run(inbox)
    assert state.is_failed()
    expected = {
        "deleted": "the claim database file claims.db is gone",
        "replaced": "the claim database",
    }[fate]
    assert expected in (state.message or "")
    assert sorted(p.name for p in inbox.iterdir()) == ["a.jsonl", "b.jsonl"]


def test_two_runs_at_once_on_one_inbox(tmp_path: Path):
    """Two `claimguard run` started together: the second finds the inbox held (or, if the
    first is already done, nothing left); neither fails, every record is loaded once."""
    inbox = tmp_path / "inbox"
    generate(GeneratorConfig(seed=7, claims=300), inbox)
    shutil.rmtree(inbox / "ground-truth")
    files = sorted(p.name for p in inbox.iterdir())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMGUARD_", "PREFECT_"))}
    env |= {
        "CLAIMGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'claims.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    cli = [sys.executable, "-c", "from flows.cli import main; main()"]
    made = subprocess.run([*cli, "db", "init"], cwd=tmp_path, env=env, capture_output=True)
    assert made.returncode == 0, made.stderr
    cli.append("run")
    runs = [
        subprocess.Popen(
            [*cli, "--inbox", str(inbox), "--quiet-seconds", "0"],
            cwd=tmp_path,
            env={**env, "PREFECT_HOME": str(tmp_path / f"prefect-{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in (1, 2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert not any("Traceback" in out for out in outputs), outputs
    said = sorted(
        line for out in outputs for line in out.splitlines() if line.startswith("daily-intake:")
    )
    (loaded,) = [
        s for s in said if s.startswith("daily-intake: completed (2 claim file(s) loaded;")
    ]
    (other,) = [line for line in said if line != loaded] or [loaded]
    assert "another run is reading this inbox (" in other or "(0 claim file(s)" in other, said
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == files
    engine = open_database(env["CLAIMGUARD_DATABASE_URL"])
    with session_scope(engine) as session:
        claims = session.scalar(select(func.count()).select_from(m.Claim))
        reads = session.scalar(select(func.count()).select_from(m.IntakeFile))
    assert loaded.endswith(f"; {claims:,} claim(s) checked)"), said
    assert (claims, reads) == (300, len(files))  # each file read once


def test_what_holds_patient_data_is_the_owners_alone(claim_db: str, inbox: Path):
    """With a umask that lets others read, the claim database, the filed-away inputs and the
    reports ClaimGuard writes are owner-only (files 0600, the folders it makes 0700)."""
    previous = os.umask(0o022)
    try:
        path = b.write_jsonl(inbox / "master.jsonl", [json.dumps(r).encode() for r in b.master()])
        path.chmod(0o644)  # as a producer's upload might arrive
        assert _run(inbox).is_completed()
        reports = inbox.parent / "r"
        runtime = env_runtime()
        build.write(runtime.engine(), runtime.rule_set(), reports)  # as the remittance audit does
    finally:
        os.umask(previous)
    made = [inbox / "processed", reports]
    files = [
        inbox / "processed" / "master.jsonl",
        Path(claim_db.removeprefix("sqlite:///")),
        *reports.iterdir(),
    ]
    assert len(files) >= 4  # the report and its work queues are there
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in made} == {p.name: "0o700" for p in made}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {
        p.name: "0o600" for p in files
    }


def test_a_missing_or_old_report_is_written_again(claim_db: str, inbox: Path):
    """A day without remittances still rewrites the report when it is out of date; a
    report lost (or never written, the run that would have failed) comes back on the next run."""
    b.write_jsonl(inbox / "day.jsonl", [json.dumps(r).encode() for r in b.day()])
    assert _run(inbox).is_completed()
    page = inbox.parent / "r" / "leak-report.html"
    assert page.exists() and "held-queue.csv" in {p.name for p in page.parent.iterdir()}
    written = page.stat().st_mtime_ns
    assert _run(inbox).is_completed()  # nothing new: the report stands
    assert page.stat().st_mtime_ns == written
    page.unlink()
    assert _run(inbox).is_completed()
    assert page.exists()
