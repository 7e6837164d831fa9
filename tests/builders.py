"""Valid packet records with overridable fields, and a helper to write them as JSON Lines.

The cast: one payer and plan, one clinic, one LCSW, three patients, one group session on
2026-11-02 with its notes, and claim CL-1 for patient PT-1.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

NPI = "1234567893"
SESSION_DATE = "2026-11-02"


def payer(**over: Any) -> dict[str, Any]:
    return {
        "type": "payer",
        "payer_id": "keystone",
        "name": "Keystone PPO",
        "kind": "commercial",
        **over,
    }


def plan(**over: Any) -> dict[str, Any]:
    return {
        "type": "plan",
        "plan_id": "keystone_ppo",
        "payer_id": "keystone",
        "name": "PPO",
        **over,
    }


def location(**over: Any) -> dict[str, Any]:
    return {
        "type": "location",
        "location_id": "austin",
        "name": "Austin Clinic",
        "state": "TX",
        **over,
    }


def provider(**over: Any) -> dict[str, Any]:
    base = {
        "type": "provider",
        "npi": NPI,
        "last_name": "Lindqvist",
        "first_name": "Annika",
        "credential": "LCSW",
        "taxonomy": "1041C0700X",
        "license_state": "TX",
        "enrollments": [{"payer_id": "keystone", "effective_from": "2020-01-01"}],
    }
    return {**base, **over}


def patient(n: int = 1, **over: Any) -> dict[str, Any]:
    names = {1: ("Marisol", "Okafor"), 2: ("Tobias", "Brannigan"), 3: ("Imani", "Castellanos")}
    first, last = names.get(n, ("Quentin", "Haverford"))
    base = {
        "type": "patient",
        "patient_id": f"PT-{n}",
        "first_name": first,
        "last_name": last,
        "birth_date": "1980-04-05",
        "sex": "F",
    }
    return {**base, **over}


def coverage(n: int = 1, **over: Any) -> dict[str, Any]:
    base = {
        "type": "coverage",
        "coverage_id": f"COV-{n}",
        "patient_id": f"PT-{n}",
        "plan_id": "keystone_ppo",
        "member_id": f"KEY00{n}",
        "effective_from": "2020-01-01",
        "copay": "20.00",
    }
    return {**base, **over}


def authorization(**over: Any) -> dict[str, Any]:
    base = {
        "type": "authorization",
        "auth_number": "PA-100",
        "patient_id": "PT-1",
        "payer_id": "keystone",
        "procedure_codes": ["90853"],
        "units_approved": 24,
        "units_used": 3,
        "start_date": "2026-10-01",
        "end_date": "2027-03-31",
    }
    return {**base, **over}


def session(**over: Any) -> dict[str, Any]:
    base = {
        "type": "group_session",
        "session_id": "GS-1",
        "location_id": "austin",
        "service_date": SESSION_DATE,
        "start_time": "10:00",
        "end_time": "11:00",
        "session_type": "group_psychotherapy",
        "facilitator_npis": [NPI],
        "roster": ["PT-1", "PT-2", "PT-3"],
        "recorded_group_size": 3,
    }
    return {**base, **over}


def note(n: int = 1, **over: Any) -> dict[str, Any]:
    base = {
        "type": "note",
        "note_id": f"NT-{n}",
        "session_id": "GS-1",
        "patient_id": f"PT-{n}",
        "author_npi": NPI,
        "signed_on": SESSION_DATE,
        "elements": {
            "start_time": "10:00",
            "end_time": "11:00",
            "therapeutic_focus": "relapse prevention",
            "diagnosis_codes": ["F33.1"],
            "treatment_plan_goal": "use two coping strategies when cravings arise",
            "participation": "described cravings on the weekend",
            "response": "set a concrete goal for the week",
            "intervention": "cognitive behavioral therapy",
            "group_size": 3,
        },
        "text": "Focus: relapse prevention. Participation: described cravings.",
    }
    return {**base, **over}


def claim(n: int = 1, **over: Any) -> dict[str, Any]:
    base = {
        "type": "claim",
        "claim_id": f"CL-{n}",
        "claim_date": "2026-11-03",
        "patient_id": f"PT-{n}",
        "coverage_id": f"COV-{n}",
        "payer_id": "keystone",
        "billing_npi": NPI,
        "rendering_npi": NPI,
        "location_id": "austin",
        "session_id": "GS-1",
        "place_of_service": "11",
        "diagnoses": ["F33.1"],
        "lines": [line()],
    }
    return {**base, **over}


def line(**over: Any) -> dict[str, Any]:
    base = {
        "line_number": 1,
        "procedure_code": "90853",
        "modifiers": [],
        "units": "1",
        "charge": "95.00",
        "diagnosis_pointers": [1],
        "service_date": SESSION_DATE,
    }
    return {**base, **over}


def master() -> list[dict[str, Any]]:
    """Every master record the events above refer to."""
    people = [rec for n in (1, 2, 3) for rec in (patient(n), coverage(n))]
    return [payer(), plan(), location(), provider(), *people, authorization()]


def day() -> list[dict[str, Any]]:
    """Master data, the session, three notes and one claim per patient."""
    return [*master(), session(), note(1), note(2), note(3), claim(1), claim(2), claim(3)]


def with_change(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `record` with the dotted `path` set to `value` (or removed if value is ...)."""
    out = copy.deepcopy(record)
    *parents, leaf = path.split(".")
    target: Any = out
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is ...:
        del target[int(leaf) if leaf.isdigit() else leaf]
    elif leaf.isdigit():
        target[int(leaf)] = value
    else:
        target[leaf] = value
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]] | list[bytes]) -> Path:
    """Write records (dicts, or raw bytes for broken lines) one per line."""
    with path.open("wb") as handle:
        for record in records:
            data = record if isinstance(record, bytes) else json.dumps(record).encode()
            handle.write(data + b"\n")
    return path
