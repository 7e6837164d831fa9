"""End to end, as the operators use it: `make serve` (a real Prefect server, every deployment
served, the report folder published), a re-audit through the API, the re-audit form filled
in a real browser (the system's Chromium driven by Playwright), and a clean stop.

The tests share one `make serve` and run in this file's order; the last one stops it.
Screenshots of the form and the run go to CLAIMGUARD_SCREENSHOTS when set (docs/images/ holds
the ones in the docs), else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tasks.db import models as m
from tasks.db.session import make_engine, session_scope
from tests.support.served import ROOT, Served, chromium, claim_database, make_serve, port_open
from tests.support.served import wait_until as wait_for

pytestmark = pytest.mark.prefect
PAYER = "summit_commercial"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    with make_serve(folder, claim_database(folder)) as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("CLAIMGUARD_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def api(served: Served, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{served.api}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def deployment(served: Served, name: str) -> dict[str, Any]:
    return api(served, f"/deployments/name/{name}/{name}")


def runs_of(served: Served, deployment_id: str) -> list[dict[str, Any]]:
    body = {
        "flow_runs": {"deployment_id": {"any_": [deployment_id]}},
        "sort": "EXPECTED_START_TIME_DESC",
    }
    return api(served, "/flow_runs/filter", body)


def finished_run(served: Served, deployment_id: str, seen: set[str]) -> dict[str, Any]:
    """The first run of the deployment not in `seen` once it has finished."""
    found: dict[str, Any] = {}

    def done() -> bool:
        for run in runs_of(served, deployment_id):
            if run["id"] not in seen and run["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                found.update(run)
                return True
        return False

    wait_for(done, 300, "the re-audit run")
    return found


def test_reaudit_through_the_api(served: Served):
    """The served re-audit deployment runs with parameters given through the API (a bare
    payer id, as a script gives it) and writes its checkpoints."""
    wait_for(lambda: bool(deployment(served, "re-audit")), 120, "re-audit deployment")
    params = {"params": {"payer_id": "medicare", "steps": ["documentation"],
                         "reason": "end-to-end test", "dry_run": False}}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "prefect", "deployment", "run", "re-audit/re-audit",
         "--params", json.dumps(params), "--watch", "--watch-timeout", "240"],
        env={**served.env, "PREFECT_API_URL": served.api},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Completed" in run.stdout
    engine = make_engine(served.env["CLAIMGUARD_DATABASE_URL"])
    with session_scope(engine) as session:
        medicare = session.scalar(
            select(func.count()).select_from(m.Claim).where(m.Claim.payer_id == "medicare")
        )
        second = session.scalar(
            select(func.count())
            .select_from(m.ClaimCheckpoint)
            .where(m.ClaimCheckpoint.attempt == 2)
        )
        audit = session.scalars(
            select(m.AuditRun).where(m.AuditRun.reason == "end-to-end test")
        ).one()
    assert medicare and second == medicare
    assert audit.counts["claims"] == medicare
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - .ci/run installs it with the dev extras
        pytest.skip("Playwright is not installed (pip install -e '.[dev]')")
    if executable is None:  # pragma: no cover - .ci/run installs Debian's chromium
        pytest.skip("no Chromium here: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def form_field(page: Any, title: str) -> Any:
    """The form's field with this title (drawn "Title (Optional)" when it has a default)."""
    own_label = page.locator(
        "xpath=./div[contains(@class,'p-label__header')]"
        "//span[contains(@class,'schema-form-property__label')]",
        has_text=re.compile(rf"^{re.escape(title)}( \(Optional\))?$"),
    )
    return page.locator(".schema-form-property").filter(has=own_label)


def open_form(browser: Any, served: Served, name: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1500})
    page.goto(f"{served.ui}/deployments/deployment/{deployment(served, name)['id']}/run")
    # The form is drawn once the deployment's schema has loaded: its last field is there.
    form_field(page, "Reason").wait_for()
    return page


def submit(page: Any) -> None:
    """Submit the form and wait until the UI has created the run (it leaves the form).

    On a loaded machine a click can land before the page's handlers are ready and do
    nothing; it is given again, as a person would click again."""
    from playwright.sync_api import TimeoutError as NoNavigation

    for _ in range(3):
        page.get_by_role("button", name="Submit").click()
        try:
            page.wait_for_url(lambda url: not url.rstrip("/").endswith("/run"), timeout=20_000)
            return
        except NoNavigation:
            continue
    raise AssertionError("the form was submitted three times and the UI made no run")


def test_reaudit_picked_from_the_form_in_a_browser(served: Served, browser: Any, shots: Path):
    """An operations lead picks a payer from the re-audit form's list (no id to know), gives
    a reason, submits, and sees the run complete under a name saying what was asked, with
    its changes artifact and a link to the report."""
    reaudit = deployment(served, "re-audit")
    seen = {run["id"] for run in runs_of(served, reaudit["id"])}
    page = open_form(browser, served, "re-audit")
    payer = form_field(page, "Payer")
    payer.locator("button.p-select-button__control").click()
    page.keyboard.press("ArrowDown")  # the list opens on a key, as for a keyboard user
    options = page.locator(".p-select-option")
    options.first.wait_for()
    labels = options.all_inner_texts()
    assert any(label.startswith("medicare — Medicare") for label in labels), labels
    options.filter(has_text=PAYER).first.click()
    form_field(page, "Reason").locator("textarea").fill("Summit contract amendment")
    steps = form_field(page, "Steps").inner_text()
    assert all(step in steps for step in ("verification", "documentation", "coding_edits"))
    page.screenshot(path=str(shots / "reaudit-form.png"), full_page=True)
    submit(page)

    run = finished_run(served, reaudit["id"], seen)
    assert run["state_type"] == "COMPLETED", run["state"]["message"]
    assert run["name"] == f"re-audit payer={PAYER} all dates"
    page.goto(f"{served.ui}/runs/flow-run/{run['id']}")
    page.get_by_text("Completed").first.wait_for()
    page.get_by_role("tab", name="Artifacts").or_(
        page.get_by_text("Artifacts", exact=True)
    ).first.click()
    page.get_by_text("re-audit-changes").first.wait_for()
    page.screenshot(path=str(shots / "reaudit-run.png"), full_page=True)
    artifacts = api(
        served, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
    )
    assert {a["key"] for a in artifacts} >= {"re-audit-summary", "re-audit-changes"}
    page.close()


def test_an_empty_form_fails_in_one_sentence(served: Served, browser: Any, shots: Path):
    """Submitted with nothing filled in, the run fails saying which fields to fill, named
    after what was asked, with no traceback in its state."""
    reaudit = deployment(served, "re-audit")
    seen = {run["id"] for run in runs_of(served, reaudit["id"])}
    page = open_form(browser, served, "re-audit")
    submit(page)
    run = finished_run(served, reaudit["id"], seen)
    message = run["state"]["message"]
    assert run["state_type"] == "FAILED"
    assert run["name"] == "re-audit nothing selected"
    assert message.startswith("select claims:") and "fill in Reason" in message
    assert "Traceback" not in message and "\n" not in message
    page.goto(f"{served.ui}/runs/flow-run/{run['id']}")
    page.get_by_text("select claims:").first.wait_for()
    page.screenshot(path=str(shots / "reaudit-empty.png"), full_page=True)
    page.close()


def test_the_forms_explain_themselves(served: Served):
    """Every field of every served form has a title and a description; pick-lists offer
    what is on file; no field is a type toggle; tuning is in the Advanced group."""
    for name in ("daily-intake", "stuck-claims", "re-audit", "remittance-audit", "lifecycle"):
        schema = deployment(served, name)["parameter_openapi_schema"]
        for model in schema["definitions"].values():
            for field, prop in model.get("properties", {}).items():
                where = f"{name}: {field}"
                assert prop.get("title") and prop.get("description"), where
                assert "anyOf" not in prop, where
                assert field not in ("chunk_size", "workers", "quiet_seconds") or (
                    model["title"].startswith("Advanced")
                ), where
    reaudit = deployment(served, "re-audit")["parameter_openapi_schema"]
    fields = reaudit["definitions"]["ReauditParams"]["properties"]
    assert "medicare — Medicare Part B (national)" in fields["payer_id"]["enum"]
    assert any(rule.startswith("DEF-DOC-") for rule in fields["held_by_rule"]["enum"])
    assert fields["plan_id"]["enum"] and fields["provider_npi"]["enum"]
    assert fields["steps"]["default"] == [
        "verification", "code_confirmation", "documentation", "coding_edits"
    ]  # fmt: skip


def test_the_pick_lists_follow_what_is_on_file(served: Served):
    """A payer that arrives in the claim database joins the forms' pick-lists when the serve
    process next compares (refresh_forms, every minute there; called here at once)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.forms import Choices, choices_of
    from deployments.serve import deployments, refresh_forms
    from rules.codes import PayerKind
    from tasks.runtime import Runtime
    from tasks.settings import Settings

    settings = Settings(database_url=served.env["CLAIMGUARD_DATABASE_URL"])
    runtime = Runtime.from_settings(settings)
    before = choices_of(runtime)
    engine = runtime.engine()
    with session_scope(engine) as session:
        session.add(m.Payer(payer_id="acme_health", name="Acme Health",
                            kind=PayerKind.COMMERCIAL, content_hash="0" * 64))  # fmt: skip

    def refresh(last: Choices) -> Choices:
        with temporary_settings(updates={PREFECT_API_URL: served.api}):
            return refresh_forms(deployments(settings, last), runtime, last)

    # In a thread of its own, as in the serve process: here Playwright's event loop runs in
    # the main thread, and Prefect would hand back coroutines instead of deployments.
    with ThreadPoolExecutor(max_workers=1) as thread:
        after = thread.submit(refresh, before).result()
        assert thread.submit(refresh, after).result() is after  # nothing changed: no update
    engine.dispose()
    fields = deployment(served, "re-audit")["parameter_openapi_schema"]["definitions"]
    assert "acme_health — Acme Health" in fields["ReauditParams"]["properties"]["payer_id"]["enum"]
    assert ("acme_health", "Acme Health") in after.payers


def test_a_second_make_serve_says_so(served: Served):
    second = subprocess.run(
        [sys.executable, "-m", "deployments.local"],
        env=served.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 2
    assert second.stderr.strip().startswith("make serve is already running here (pid ")
    assert "Traceback" not in second.stderr


def test_sigterm_stops_everything_and_frees_the_ports(served: Served):
    """Last: stopping `make serve` the way a service manager does leaves nothing behind."""
    assert port_open(served.ui_port) and port_open(served.report_port)
    assert served.stop() == 0
    assert not port_open(served.ui_port) and not port_open(served.report_port)
    leftover = subprocess.run(
        ["pgrep", "-f", f"--port {served.ui_port}"], capture_output=True, text=True
    )
    assert leftover.stdout == ""
