"""Every flow and deployment definition loads: a broken entrypoint fails here, not at 6:30 a.m."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from prefect.flows import Flow

ROOT = Path(__file__).parents[2]
PREFECT_YAML = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())


@pytest.mark.parametrize("deployment", PREFECT_YAML["deployments"], ids=lambda d: d["name"])
def test_prefect_yaml_entrypoints_are_flows(deployment):
    """Each deployment in prefect.yaml points at a flow that imports."""
    path, _, name = deployment["entrypoint"].partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert isinstance(getattr(module, name), Flow)


def test_served_deployments_match_prefect_yaml():
    """The one-command server serves the same deployments, with the daily schedule and its concurrency limit."""
    from deployments.serve import deployments

    served = {d.name: d for d in deployments()}
    assert set(served) == {d["name"] for d in PREFECT_YAML["deployments"]}
    assert served["daily-intake"].concurrency_limit == 1
    assert served["daily-intake"].schedules and served["stuck-claims"].schedules
    assert not served["re-audit"].schedules
    assert served["remittance-audit"].concurrency_limit == 1


def test_the_remittance_audit_runs_on_a_schedule_only_when_asked(monkeypatch):
    """Remittances come when payers pay: CLAIMGUARD_REMIT_CRON opts in to a schedule."""
    import deployments.serve as serve
    from tasks.settings import Settings

    assert not {d.name: d for d in serve.deployments()}["remittance-audit"].schedules
    monkeypatch.setenv("CLAIMGUARD_REMIT_CRON", "0 14 * * 1-5")
    (schedule,) = {d.name: d for d in serve.deployments()}["remittance-audit"].schedules
    assert schedule.schedule.cron == "0 14 * * 1-5"
    named = serve.deployments(Settings(remit_cron="0 9 * * 1", timezone="America/New_York"))
    (schedule,) = {d.name: d for d in named}["remittance-audit"].schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 9 * * 1", "America/New_York")


def test_reaudit_form_requires_a_reason_and_a_selection():
    """The re-audit form refuses a run that says neither why nor which claims."""
    from flows.params import ReauditParams

    # A missing reason is said by the flow, in one sentence, not by Prefect's validation.
    assert ReauditParams.model_validate({"payer_id": "medicare"}).problem() == (
        "give the reason for the re-audit, 3 characters or more (fill in Reason)"
    )
    # What a form cannot check field against field, the flow (and the CLI) says first.
    assert (ReauditParams(reason="contract change").problem() or "").startswith("select claims:")
    reversed_dates = ReauditParams(
        reason="rates", service_from="2026-12-01", service_to="2026-01-01"
    )  # type: ignore[arg-type]
    assert reversed_dates.problem() == (
        "the date-of-service range ends (2026-01-01) before it starts (2026-12-01); "
        "swap Dates of service from and to"
    )
    assert ReauditParams(reason="rates", payer_id="medicare").problem() is None
