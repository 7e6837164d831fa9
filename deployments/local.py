"""`make serve`: a local Prefect server (SQLite, under .claimguard/prefect) and every deployment served.

Prints the UI address; Ctrl-C stops both. Re-audit from the UI: Deployments, re-audit,
Run, Custom run: fill in the form (payer, dates or claim ids, steps, dry run, reason).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

from tasks.settings import get_settings


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main() -> None:
    settings = get_settings()
    host, port = settings.prefect_host, str(settings.prefect_port)
    api = f"http://{host}:{port}/api"
    home = settings.prefect_home.resolve()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("a")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", port],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not _healthy(api):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the Prefect server did not start; see {home / 'server.log'}")
            time.sleep(1)
        print(
            f"Prefect UI: http://{host}:{port}  (API {api}); serving the ClaimGuard deployments. Ctrl-C stops.",
            flush=True,
        )
        subprocess.run([sys.executable, "-m", "deployments.serve"], env=env, check=False)
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
