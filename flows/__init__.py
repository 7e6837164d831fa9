"""ClaimGuard's Prefect flows, and the command that runs them.

Local mode (no PREFECT_API_URL) starts a temporary Prefect server, and Prefect gives it 20 s
to answer. A first run, whose new Prefect database must be built, took 11.5 s on an idle
2-core machine (4.5 s once built), and CI's busier machine passed 20 s and failed the run
(2026-12-01). A slow start is not a reason to fail a day's intake, so the wait is 120 s
unless the user set their own. Set here, before anything imports Prefect, because Prefect
reads its settings once, on import.
"""

import os

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
