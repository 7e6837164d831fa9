"""The `claimguard` command as a user runs it, in a fresh folder, in its own process."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import faults

pytestmark = pytest.mark.prefect  # the commands start Prefect in local mode
CLI = [sys.executable, "-c", "from flows.cli import main; main()"]
CMS = Path(__file__).parents[1] / "fixtures" / "cms"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=_env(cwd, env), capture_output=True, text=True, timeout=300
    )


def start(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], cwd=cwd, env=_env(cwd, env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _env(cwd: Path, extra: dict[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMGUARD_", "PREFECT_"))}
    # The tests write their inboxes just before a run: no quiet interval to wait out.
    env = {**base, "CLAIMGUARD_INBOX_QUIET_SECONDS": "0", **(extra or {})}
    env["PREFECT_HOME"] = str(cwd / ".prefect")
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return env


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    cwd = tmp_path_factory.mktemp("demo")
    first = run(cwd, "demo", "--claims", "300")
    second = run(cwd, "demo", "--claims", "300")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    # Prefect's console logs go to stderr: they are checked for patient data as well.
    return cwd, first.stdout + first.stderr, second.stdout + second.stderr


def _secrets(cwd: Path) -> set[str]:
    """Every patient name, birth date (two spellings), member id and note text of the demo."""
    found: set[str] = set()
    for path in (cwd / ".claimguard" / "inbox" / "processed").glob("*.jsonl"):
        for raw in path.read_bytes().splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            kind = record.get("type")
            if kind == "patient":
                found |= {record["first_name"], record["last_name"], record["birth_date"]}
                found.add(record["birth_date"].replace("-", ""))
            elif kind == "coverage":
                found.add(record["member_id"])
            elif kind == "note":
                elements = record["elements"]
                found |= {
                    t
                    for t in (
                        elements.get("participation"),
                        elements.get("response"),
                        record.get("text"),
                    )
                    if t
                }
    return {s for s in found if len(s) >= 3}


def _hits(secrets: set[str], text: str) -> list[str]:
    words = set(re.findall(r"[\w'-]+", text))
    return sorted(s for s in secrets if (s in words) if " " not in s) + sorted(
        s for s in secrets if " " in s and s in text
    )


class TestDemo:
    def test_reports_files_payers_quarantine_and_steps(self, demo_runs):
        """The demo runs daily-intake and prints per-file counts that reconcile, claims by payer, the quarantine and steps 1-4."""
        _, out, _ = demo_runs
        assert "daily-intake: completed" in out
        assert "reconciles" in out and " NO" not in out
        assert "claims by payer" in out and "medicare" in out
        assert "quarantined records (newest 10)" in out
        for step in ("verification", "code_confirmation", "documentation", "coding_edits"):
            assert any(line.startswith(step) for line in out.splitlines())

    def test_audits_the_835s_and_writes_the_report(self, demo_runs):
        """The demo posts the day's 835s, prints the step-5 summary and writes the HTML report."""
        cwd, out, _ = demo_runs
        assert "post-payment audit (step 5) of the 835s" in out
        for label in ("paid correctly:", "underpaid:", "denied:", "below contract"):
            assert label in out
        report = cwd / ".claimguard" / "reports" / "leak-report.html"
        assert report.exists() and "<svg" in report.read_text()
        assert "ALARM" not in out or "summit_commercial" in out

    def test_imports_a_fee_schedule_release_and_proposes_the_re_audit(self, demo_runs):
        """The demo imports a release in CMS's PPRRVU layout into a copy of the rules: the
        difference, the claims it would change (a dry run) and the command that applies it."""
        cwd, out, _ = demo_runs
        assert "changed       90853  Non-Facility PE RVU 0.22 → 0.26" in out
        proposed = next(line for line in out.splitlines() if line.startswith("re-audit proposed"))
        would = int(proposed.rsplit(";", 1)[1].split()[0])
        assert would > 0 and "post_payment_audit: passed → held" in out
        assert "claimguard reaudit --reason 'pprrvu PPRRVU26_OCT_SAMPLE.csv" in out
        table = (cwd / ".claimguard" / "rules" / "tables" / "medicare_pfs_rvu.csv").read_text()
        assert "90853,2026-10-01,2026-12-31,0.67,0.26,0.09,0.02,33.4009,yes," in table

    def test_second_run_finds_everything_unchanged(self, demo_runs):
        """Run twice, the demo adds nothing: every record is unchanged the second time."""
        _, _, out = demo_runs
        rows = [
            line.split()
            for line in out.splitlines()
            if line.startswith(("00-master-data.jsonl", "packet-", "claims-", "remit-", "resent-"))
        ]
        records_in, inserted, updated, unchanged, quarantined = (
            sum(int(row[i]) for row in rows) for i in range(1, 6)
        )
        kinds = {row[0].rsplit(".", 1)[-1] for row in rows}
        assert kinds == {"jsonl", "837", "835"}
        assert (inserted, updated, quarantined) == (0, 0, 10)
        assert unchanged == records_in - 10  # claims unchanged, 835 payments duplicates

    def test_output_names_no_patient(self, demo_runs):
        """No patient name, birth date or member id reaches the terminal."""
        cwd, first, second = demo_runs
        secrets = _secrets(cwd)
        assert secrets
        leaked = sorted(s for s in secrets if s in first or s in second)
        assert leaked == []
        reports = cwd / ".claimguard" / "reports"
        written = " ".join(p.read_text() for p in reports.iterdir())
        assert [s for s in secrets if s in written] == []


class TestPrivacy:
    def test_nothing_outside_the_claim_database_holds_patient_data(self, demo_runs, tmp_path):
        """The privacy audit: names, birth dates, member ids and note text appear in no Prefect
        table (flow runs, parameters, logs, artifacts, events), no file Prefect keeps, no CLI
        output and no report, also when tasks fail and are retried under injected faults."""
        cwd, first, second = demo_runs
        secrets = _secrets(cwd)
        assert len(secrets) > 500
        inbox = _faulty_inbox(cwd / ".claimguard" / "inbox" / "processed", cwd / "faulty-inbox")
        # Files named for a patient, as a per-patient export is: the names stay out of Prefect.
        patient = _a_patient(inbox)
        named = f"{patient['last_name']} {patient['first_name']} {patient['birth_date']}"
        first_packet = sorted(inbox.glob("packet-*.jsonl"))[0]
        first_packet.rename(inbox / f"{named}.jsonl")
        (inbox / f"{named} scan.pdf").write_bytes(b"%PDF-1.7")
        faulty = run(
            cwd,
            "run",
            "--inbox",
            str(inbox),
            env=faults.environment("check_step:0.5,load_file:0.1,post_remittance:0.5"),
        )
        outputs = first + second + faulty.stdout + faulty.stderr
        assert _hits(secrets, outputs) == []
        prefect_db = cwd / ".prefect" / "prefect.db"
        with sqlite3.connect(prefect_db) as connection:
            tables = [
                r[0]
                for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            dump = []
            for table in tables:
                for row in connection.execute(f'SELECT * FROM "{table}"'):
                    dump.append(" ".join(str(v) for v in row if v is not None))
        text = "\n".join(dump)
        assert (
            "flow_run" in tables and "log" in tables and "artifact" in tables and "events" in tables
        )
        assert (
            "daily-intake" in text and "injected fault" in text
        )  # the audit did read the runs and their failures
        assert _hits(secrets, text) == []
        kept = " ".join(
            p.read_bytes().decode("latin-1")
            for folder in (cwd / ".prefect", cwd / ".claimguard" / "reports")
            for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith("prefect.db")
        )
        assert _hits(secrets, kept) == []


def _a_patient(inbox: Path) -> dict[str, str]:
    for path in sorted(inbox.glob("*.jsonl")):
        for raw in path.read_bytes().splitlines():
            if b'"type":"patient"' in raw.replace(b" ", b""):
                return dict(json.loads(raw))
    raise AssertionError("no patient in the master data")


def _faulty_inbox(processed: Path, inbox: Path) -> Path:
    """A month of the demo's files (master data, packets, an 837P, an 835) to run again
    under faults: every kind of file and task fails somewhere, in a run of tens of files
    rather than the quarter's hundred (each retry waits its backoff)."""
    inbox.mkdir()
    names = sorted(p.name for p in processed.iterdir() if not p.name.endswith(".reason.txt"))
    chosen = [n for n in names if n.startswith("00-")]
    chosen += [n for n in names if n.startswith("packet-")][:28]
    chosen += [n for n in names if n.endswith(".837")][:1]
    chosen += [n for n in names if n.startswith("remit-")][:1]
    for name in chosen:
        shutil.copy(processed / name, inbox / name)
    assert {Path(n).suffix for n in chosen} == {".jsonl", ".837", ".835"}
    return inbox


class TestReportCommands:
    """The report commands read the demo's claim database and write what the report wrote."""

    def test_the_appeals_and_held_queues_are_the_reports_csv_files(self, demo_runs, tmp_path):
        cwd, _, _ = demo_runs
        reports = cwd / ".claimguard" / "reports"
        for queue, name in (("appeals", "appeals-queue.csv"), ("held", "held-queue.csv")):
            done = run(cwd, "report", "queue", queue, "--csv", str(tmp_path / name))
            assert done.returncode == 0, done.stderr
            written = (tmp_path / name).read_text()
            rows = written.count("\n") - 1
            assert rows > 0 and f"wrote {rows} row(s)" in done.stdout
            assert written == (reports / name).read_text()

    def test_the_leaks_command_sums_and_writes_the_underpaid_lines(self, demo_runs, tmp_path):
        cwd, _, _ = demo_runs
        done = run(cwd, "report", "leaks", "--by", "code", "--csv", str(tmp_path / "u.csv"))
        assert done.returncode == 0, done.stderr
        written = (tmp_path / "u.csv").read_text()
        assert written == (cwd / ".claimguard" / "reports" / "underpaid-lines.csv").read_text()
        (count,) = re.findall(r"underpaid: +([\d,]+)", done.stdout)
        assert written.count("\n") - 1 == int(count.replace(",", "")) > 0
        assert "90853" in done.stdout and "persistent underpayers" in done.stdout


class TestCommands:
    def test_load_missing_path_fails_clearly(self, tmp_path: Path):
        """Loading a path that does not exist says so and exits 2."""
        result = run(tmp_path, "load", "nowhere.jsonl")
        assert result.returncode == 2
        assert "no such file or folder: nowhere.jsonl" in result.stderr

    def test_the_changes_of_an_unknown_re_audit_are_an_error(self, tmp_path: Path):
        """Asking for a re-audit's changes under a batch key that has none is one line, exit 2."""
        assert run(tmp_path, "db", "init").returncode == 0
        result = run(tmp_path, "report", "changes", "no-such-batch")
        assert result.returncode == 2
        assert result.stderr.strip() == "error: no re-audit has batch key no-such-batch"

    def test_a_value_the_flow_refuses_is_one_line_naming_the_option(self, tmp_path: Path):
        """A flow's form refusing an option's value is a user error: one line, exit 2."""
        (tmp_path / "inbox").mkdir()
        result = run(tmp_path, "run", "--inbox", "inbox", "--chunk-size", "50")
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "error: --chunk-size: input should be greater than or equal to 100"
        )
        result = run(tmp_path, "reaudit", "--reason", "no selection")
        assert (result.returncode, result.stderr.count("\n")) == (2, 1)
        assert result.stderr.startswith("error: select claims:")

    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (("run", "--inbox", "nowhere"), "error: no such inbox folder: nowhere"),
            (("remit", "audit", "--folder", "nowhere"), "error: no such folder of 835s: nowhere"),
            (
                ("reaudit", "--reason", "rates", "--payer", "x", "--step", "nosuchstep"),
                'error: Invalid value "nosuchstep" for --step. Choose from: "verification", '
                '"code-confirmation", "documentation", "coding-edits", "post-payment-audit".',
            ),
            (("submitted", "NOPE-1"), "error: no ClaimGuard database at "
             "sqlite:///.claimguard/claimguard.db; run `claimguard db init` to make one"),
            (("quarantine", "--database-url", "sqlite:///typo/claims.db"), "error: no ClaimGuard "
             "database at sqlite:///typo/claims.db; run `claimguard db init` to make one"),
            (("stuck", "--limit", "0"), 'error: Invalid value "0" for --limit. Must be >= 1.'),
            (
                ("reaudit", "--reason", "rates", "--payer", "medicare",
                 "--service-from", "2026-12-01", "--service-to", "2026-01-01"),
                "error: the date-of-service range ends (2026-01-01) before it starts (2026-12-01); "
                "swap --service-from and --service-to",
            ),
            (("reaudit", "--reason", "x", "--payer", "medicare"),
             "error: give the reason for the re-audit, 3 characters or more (--reason)"),
            (("reaudit", "--reason", "rates"),
             "error: select claims: claim ids, a payer, plan or provider and/or a date-of-service "
             "range, or the rule holding them (--claim, --payer, --plan, --provider, "
             "--service-from/--service-to or --rule)"),
            (("remit", "load", ".", "--database-url", "sqlite:///typo/claims.db"), "error: no "
             "ClaimGuard database at sqlite:///typo/claims.db; run `claimguard db init` to make one"),
            (("db", "upgrade", "--database-url", "sqlite:///typo/claims.db"), "error: no "
             "ClaimGuard database at sqlite:///typo/claims.db; run `claimguard db init` to make one"),
        ],
    )  # fmt: skip
    def test_a_mistaken_command_is_one_line_and_exit_2(
        self, tmp_path: Path, args: tuple[str, ...], expected: str
    ):
        """A folder, claim, option value or date range that cannot be right: one line naming
        it, status 2, nothing run."""
        result = run(tmp_path, *args)
        assert (result.returncode, result.stderr.strip()) == (2, expected)
        assert not (tmp_path / "typo").exists()  # a mistyped database is not made

    @pytest.mark.parametrize(
        ("args", "env", "said"),
        [
            (("generate", "--claims", "-5"), {}, 'error: Invalid value "-5" for --claims. Must be >= 1.'),
            (("quarantine", "--limit", "-1"), {}, 'error: Invalid value "-1" for --limit. Must be >= 1.'),
            (("report", "leaks", "--alarm-months", "0"), {},
             'error: Invalid value "0" for --alarm-months. Must be >= 1.'),
            (("generate", "--rate", "auth_missing=2"), {},
             "error: --rate: rate for auth_missing must be between 0 and 1 (got 2.0)"),
            (("generate", "--rate", "bogus=0.1"), {}, "error: --rate: unknown defect 'bogus'; known defects: "),
            (("quarantine",), {"CLAIMGUARD_RULES_DIR": "/no/rules"},
             "error: no rules folder at /no/rules (CLAIMGUARD_RULES_DIR names it"),
            (("claim", "show", "CL-1", "--database-url", "postgresql+psycopg://postgres@127.0.0.1:9/x"),
             {}, "error: the claim database cannot be used: connection failed: "),
            (("files",), {"CLAIMGUARD_WORKERS": "lots"},
             "error: a CLAIMGUARD_ setting is not valid: CLAIMGUARD_WORKERS: "),
            (("tables", "import", "pprrvu", str(CMS / "PPRRVU2025_Oct.csv"), "--effective", "2025-10-01"),
             {}, "error: ClaimGuard is using its shipped rules, which an import does not change"),
            (("tables", "import", "pprrvu", str(CMS / "GPCI2025.csv"), "--effective", "2025-10-01",
              "--dry-run"), {}, "error: GPCI2025.csv is not a pprrvu file: PPRRVU: no data row"),
            (("tables", "import", "mue", "nowhere.csv", "--effective", "2025-10-01", "--dry-run"), {},
             "error: no such file: nowhere.csv"),
            (("tables", "import", "rvu", "x.csv", "--effective", "2025-10-01"), {},
             'error: Invalid value "rvu" for KIND. Choose from: "pprrvu", "gpci", "locality", '),
            (("tables", "import", "mue", "x.csv", "--effective", "2025-13-01"), {},
             'error: Invalid value for --effective: unable to convert "2025-13-01" into date.'),
            (("tables", "import", "mue", "x.csv", "--effective", "2025-10-01", "--rules", "."), {},
             "error: . is not a rules folder (payers/ and tables/)"),
            (("contracts", "import", str(CMS / "GPCI2025.csv"), "--payer", "summit commercial",
              "--effective", "2026-10-01", "--dry-run"), {},
             "error: --payer: 'summit commercial' is not a payer id"),
            (("contracts", "import", str(CMS / "GPCI2025.csv"), "--payer", "summit_commercial",
              "--effective", "2026-10-01", "--dry-run"), {},
             "error: GPCI2025.csv is not a contract fee schedule: no header row with a code column"),
        ],
    )  # fmt: skip
    def test_a_user_error_is_one_line_never_a_traceback(
        self, tmp_path: Path, args: tuple[str, ...], env: dict[str, str], said: str
    ):
        result = run(tmp_path, *args, env=env)
        assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
        assert result.stderr.startswith(said) and "Traceback" not in result.stderr

    def test_a_selection_that_matches_nothing_is_named_before_any_run(self, tmp_path: Path):
        """Checked before Prefect starts: the part of the selection that matches nothing,
        with the nearest ids; a payer id in another case is the payer."""
        assert run(tmp_path, "generate", "--claims", "40", "--out", "day").returncode == 0
        assert run(tmp_path, "db", "init").returncode == 0
        assert run(tmp_path, "load", "day").returncode == 0
        cases = {
            ("--payer", "medicre"): "error: --payer medicre: no such payer; did you mean medicare?",
            ("--rule", "DEF-DOC-06"): "error: --rule DEF-DOC-06: no such rule; did you mean DEF-DOC-006",
            ("--claim", "CL-NOPE-1"): "error: --claim CL-NOPE-1: no such claim",
            ("--payer", "MEDICARE", "--service-from", "2020-01-01", "--service-to", "2020-01-31"):
                "error: no claim matches the selection (payer=medicare 2020-01..2020-01): no claim "
                "has a date of service in that range",
        }  # fmt: skip
        for selection, said in cases.items():
            result = run(tmp_path, "reaudit", "--reason", "rates", *selection)
            assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
            assert result.stderr.startswith(said), result.stderr
            assert "temporary server" not in result.stdout + result.stderr  # nothing started

    def test_generate_then_strict_load(self, tmp_path: Path):
        """`generate` writes a day; `load --strict` exits 0 when nothing is quarantined."""
        assert run(tmp_path, "generate", "--claims", "40", "--out", "day").returncode == 0
        assert run(tmp_path, "db", "init").returncode == 0
        result = run(tmp_path, "load", "day", "--strict")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "total" in result.stdout
        # Not a terminal: progress is plain lines on stderr, the last at 100 %.
        assert re.search(r"^(\d+) of \1 files \(100 %\).*: packet-", result.stderr, re.M)

    def test_quarantine_lists_reasons(self, tmp_path: Path):
        """`quarantine` lists refused records with their reasons."""
        (tmp_path / "bad.jsonl").write_text('{"type": "claim"\n')
        assert run(tmp_path, "db", "init").returncode == 0
        assert run(tmp_path, "load", "bad.jsonl", "--strict").returncode == 1
        result = run(tmp_path, "quarantine")
        assert "bad.jsonl line 1" in result.stdout and "malformed JSON" in result.stdout

    @pytest.mark.parametrize(("users", "waited"), [(None, 120), ("45", 45)])
    def test_local_mode_waits_two_minutes_for_its_temporary_server(
        self, tmp_path: Path, users: str | None, waited: int
    ):
        """Prefect gives a temporary server 20 s to start, which a first run on a busy machine
        can pass; a command that runs a flow waits 120 s instead, unless the user chose a wait
        of their own. Outside such a command Prefect's own setting stands."""
        key = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
        read = (
            "import flows.cli; from flows.prefect_local import local_mode;"
            " from prefect.settings import get_current_settings as s;"
            " outside = s().server.ephemeral.startup_timeout_seconds\n"
            "with local_mode(): print(outside, s().server.ephemeral.startup_timeout_seconds)"
        )
        env = _env(tmp_path, {key: users} if users else None)
        done = subprocess.run(
            [sys.executable, "-c", read], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        outside, inside = map(float, done.stdout.split())
        assert (outside, inside) == ((float(users), float(users)) if users else (20.0, 120.0))
        assert inside == waited

    def test_local_mode_checks_in_worker_processes_reporting_to_one_server(self, tmp_path: Path):
        """With no Prefect server, `run` starts one temporary server; the worker processes
        that check its chunks report there instead of each starting a server of its own."""
        assert run(tmp_path, "generate", "--claims", "200", "--out", "day").returncode == 0
        env = {"CLAIMGUARD_WORKERS": "2", "PREFECT_LOGGING_LEVEL": "INFO"}
        assert run(tmp_path, "db", "init").returncode == 0
        process = start(tmp_path, "run", "--inbox", "day", "--chunk-size", "100", env=env)
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stdout + stderr
        assert (stdout + stderr).count("Starting temporary server") == 1
        with sqlite3.connect(tmp_path / ".claimguard" / "claimguard.db") as db:
            holders = [row[0] for row in db.execute("SELECT leased_by FROM work_chunk")]
        pids = {int(holder.rpartition(":")[2]) for holder in holders}
        assert len(holders) == 2 * 4 and process.pid not in pids
