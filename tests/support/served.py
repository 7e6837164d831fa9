"""`make serve` as a user starts it (`python -m deployments.local`), on free ports, over a
claim database of generated claims: for the end-to-end and browser tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.checking import check_chunk, claims_of_files
from tasks.db.migrate import upgrade
from tasks.db.session import make_engine
from tasks.inbox import load_paths
from tasks.synthetic.generator import GeneratorConfig, generate

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Served:
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    ui_port: int
    report_port: int

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    @property
    def api(self) -> str:
        return f"{self.ui}/api"

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            # What it started runs in sessions of its own: the server is found by its port,
            # so a failed stop leaves no server behind to slow the rest of the suite.
            subprocess.run(["pkill", "-f", f"--port {self.ui_port}"], check=False)
            return self.process.wait()


def claim_database(folder: Path, claims: int = 120) -> str:
    """A SQLite claim database of generated claims, loaded and checked (steps 1-4)."""
    db_url = f"sqlite:///{folder / 'claims.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    generate(GeneratorConfig(seed=77, claims=claims), folder / "in")
    load_paths(engine, [folder / "in"])
    check_chunk(engine, claims_of_files(engine), PRE_SUBMISSION_STEPS, default_rule_set())
    engine.dispose()
    return db_url


def serve_env(folder: Path, db_url: str, ui_port: int, report_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLAIMGUARD_"))}
    env.update(
        PREFECT_HOME=str(folder / "prefect"),
        CLAIMGUARD_HOME=str(folder / "home"),
        CLAIMGUARD_DATABASE_URL=db_url,
        CLAIMGUARD_PREFECT_PORT=str(ui_port),
        CLAIMGUARD_REPORT_PORT=str(report_port),
        CLAIMGUARD_INBOX_QUIET_SECONDS="0",  # the test wrote the inbox just now
    )
    return env


@contextmanager
def make_serve(folder: Path, db_url: str) -> Iterator[Served]:
    """`make serve` running until the block ends; waits for the deployments to be served."""
    ui_port, report_port = free_port(), free_port()
    env = serve_env(folder, db_url, ui_port, report_port)
    log = folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "deployments.local"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(env, process, log, ui_port, report_port)
    try:
        wait_until(lambda: "being served" in log.read_text(), 180, "make serve")
        yield served
    finally:
        served.stop()


def chromium() -> str | None:
    """The system's Chromium (Debian's package), which the browser tests drive."""
    return os.environ.get("CLAIMGUARD_CHROMIUM") or shutil.which("chromium")
