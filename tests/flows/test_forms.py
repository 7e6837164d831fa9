"""The deployment forms' shaping and the report links, without a server (the browser tests
in test_end_to_end.py see the same forms drawn)."""

from __future__ import annotations

from pathlib import Path

from deployments.forms import Choices, label, shaped
from flows.artifacts import report_addresses, report_lines
from flows.params import ReauditParams, picked_id

CHOICES = Choices(
    payers=(("medicare", "Medicare Part B"), ("summit_commercial", "Summit Commercial HMO")),
    plans=(("MCR-B", "medicare: Part B"),),
    providers=(("1234567893", "Rivera, Ana LCSW"),),
    rules=(("DEF-DOC-007", "Start and stop times documented"),),
)


def reaudit_form() -> dict:
    from prefect.utilities.callables import parameter_schema

    from flows.reaudit import reaudit

    return shaped(parameter_schema(reaudit).model_dump(exclude_unset=True), CHOICES)


def test_ids_become_pick_lists_with_names():
    fields = reaudit_form()["definitions"]["ReauditParams"]["properties"]
    assert fields["payer_id"]["enum"] == [
        "medicare — Medicare Part B",
        "summit_commercial — Summit Commercial HMO",
    ]
    assert fields["provider_npi"]["enum"] == ["1234567893 — Rivera, Ana LCSW"]
    assert fields["held_by_rule"]["enum"] == ["DEF-DOC-007 — Start and stop times documented"]


def test_optional_fields_are_plain_inputs_and_tuning_comes_last():
    form = reaudit_form()
    fields = form["definitions"]["ReauditParams"]["properties"]
    assert all("anyOf" not in prop for prop in fields.values())
    assert fields["service_from"] == {
        "title": "Dates of service from",
        "description": "Only claims with a date of service on or after this day (e.g. 2026-10-01)",
        "type": "string",
        "format": "date",
    }
    assert list(fields)[-1] == "advanced"
    assert form["properties"]["params"]["title"] == "Re-audit"


def test_a_picked_entry_is_read_as_its_id():
    assert picked_id("medicare — Medicare Part B") == "medicare"
    assert picked_id("medicare") == "medicare"
    assert picked_id("") is None
    params = ReauditParams.model_validate(
        {"payer_id": label("summit_commercial", "Summit"), "reason": "rates", "chunk_size": 500}
    )
    assert (params.payer_id, params.chunk_size) == ("summit_commercial", 500)


def test_report_files_are_linked_only_where_served(tmp_path: Path):
    served = tmp_path / "reports"
    files = {"html": served / "leak-report.html", "held": tmp_path / "elsewhere" / "held.csv"}
    addresses = report_addresses(files, served=served, base_url="http://127.0.0.1:4201/")
    assert addresses == {"html": "http://127.0.0.1:4201/leak-report.html"}
    assert report_addresses(files, served=served, base_url=None) == {}
    lines = report_lines(files, addresses)
    assert lines[0] == "- [Revenue-leak report](http://127.0.0.1:4201/leak-report.html)"
    assert lines[1].startswith("- Held claims queue (CSV): `") and "(on the server)" in lines[1]
