"""`make serve`: a local Prefect server (SQLite, under .claimguard/prefect), every deployment
served, and the report folder published at a local address the UI's report links open.

Prints the addresses; Ctrl-C or SIGTERM stops everything it started and frees its ports. A
second `make serve` while one runs says so and exits. Re-audit from the UI: Deployments,
re-audit, Run, Custom run: pick a payer (or claims, dates, a rule), give a reason, Submit.
"""

from __future__ import annotations

import fcntl
import functools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn

from tasks.settings import Settings, get_settings

START_SECONDS = 120
STOP_SECONDS = 20


class Stop(Exception):
    """SIGTERM (or SIGINT) arrived: unwind and stop what was started."""


def _refuse(message: str) -> NoReturn:
    """A user's mistake: one line on stderr and exit status 2, as the CLI does."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@contextmanager
def _only_instance(home: Path) -> Iterator[None]:
    """Hold serve.lock for the life of this process; the OS lets it go however the process ends."""
    home.mkdir(parents=True, exist_ok=True)
    lock = (home / "serve.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        owner = lock.read().strip() or "another process"
        _refuse(f"make serve is already running here ({owner}); stop it first (Ctrl-C there)")
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}")
    lock.flush()
    try:
        yield
    finally:
        lock.close()


def _start(command: list[str], env: dict[str, str], log: IO[str]) -> subprocess.Popen[bytes]:
    # Its own process group, so stopping it reaches whatever it started in turn.
    return subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


class _Reports(SimpleHTTPRequestHandler):
    """The report folder, read-only; nothing logged per request (the paths say nothing, but
    a terminal full of GET lines hides what matters)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _report_server(settings: Settings) -> ThreadingHTTPServer:
    folder = (settings.home / "reports").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_Reports, directory=str(folder))
    server = ThreadingHTTPServer((settings.prefect_host, settings.report_port), handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="reports").start()
    return server


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def _wait_healthy(api: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not _healthy(api):
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Prefect server did not start; see {log_path}")
        time.sleep(1)


def serve(settings: Settings) -> None:
    host, port = settings.prefect_host, settings.prefect_port
    for taken in (port, settings.report_port):
        if _port_taken(host, taken):
            _refuse(
                f"port {taken} on {host} is in use by another program; stop it or set "
                "CLAIMGUARD_PREFECT_PORT / CLAIMGUARD_REPORT_PORT"
            )
    api = f"http://{host}:{port}/api"
    reports_url = f"http://{host}:{settings.report_port}/"
    home = settings.prefect_home.resolve()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "CLAIMGUARD_REPORT_URL": reports_url,
    }
    started: list[subprocess.Popen[bytes]] = []
    reports = _report_server(settings)
    log_path = home / "server.log"
    with log_path.open("a") as log:
        try:
            command = ["prefect", "server", "start", "--host", host, "--port", str(port)]
            started.append(_start([sys.executable, "-m", *command], env, log))
            _wait_healthy(api, started[0], log_path)
            print(
                f"Prefect UI: http://{host}:{port}  reports: {reports_url}\n"
                "Serving the ClaimGuard deployments. Ctrl-C stops everything.",
                flush=True,
            )
            started.append(_start([sys.executable, "-m", "deployments.serve"], env, sys.stdout))
            # Polled, not waited on: a signal the kernel hands to the report server's thread
            # runs its handler only when this thread next runs Python code.
            while started[-1].poll() is None:
                time.sleep(0.5)
        except (KeyboardInterrupt, Stop):
            print("stopping: the deployments, the Prefect server, the report server", flush=True)
        finally:
            for process in reversed(started):
                _stop(process)
            reports.shutdown()
            reports.server_close()


def main() -> None:
    settings = get_settings()
    signal.signal(signal.SIGTERM, _raise_stop)
    with _only_instance(settings.prefect_home.resolve()):
        serve(settings)


if __name__ == "__main__":
    main()
