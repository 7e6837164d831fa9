"""Broken records for the end of a generated file: intake must quarantine each, by field."""

from __future__ import annotations

import json
from typing import Any

# (what is wrong, the field the quarantine reason must name, how to break a claim record)
_BREAKS: list[tuple[str, str]] = [
    ("malformed_json", "(record)"),
    ("unknown_field", "claim.surprise"),
    ("missing_field", "claim.patient_id"),
    ("billable_category", "claim.diagnoses[1]"),
    ("negative_charge", "claim.lines[1].charge"),
    ("bad_modifier", "claim.lines[1].modifiers[1]"),
    ("unknown_reference", "coverage_id"),
    ("not_utf8", "(record)"),
    ("end_before_start", "effective_to"),
    ("wrong_type", "claim.lines[1].units"),
]


def malformed_lines(template: dict[str, Any], count: int) -> list[tuple[str, str, bytes]]:
    """Return `count` broken records made from a valid claim: (kind, field, raw bytes)."""
    out = []
    for index in range(count):
        kind, field = _BREAKS[index % len(_BREAKS)]
        claim = json.loads(json.dumps(template))
        claim["claim_id"] = f"{template['claim_id']}-BAD{index:03d}"
        out.append((kind, field.removeprefix("claim."), _break(kind, claim)))
    return out


def _break(kind: str, claim: dict[str, Any]) -> bytes:
    line = claim["lines"][0]
    if kind == "malformed_json":
        return json.dumps(claim).encode()[:-7]
    if kind == "not_utf8":
        return json.dumps(claim).encode().replace(b'"claim_id"', b'"claim\xff_id"')
    if kind == "unknown_field":
        claim["surprise"] = "x"
    elif kind == "missing_field":
        del claim["patient_id"]
    elif kind == "billable_category":
        claim["diagnoses"][0] = "F33"
    elif kind == "negative_charge":
        line["charge"] = "-95.00"
    elif kind == "bad_modifier":
        line["modifiers"] = ["9Q5"]
    elif kind == "unknown_reference":
        claim["coverage_id"] = "COV-DOES-NOT-EXIST"
    elif kind == "wrong_type":
        line["units"] = "one"
    elif kind == "end_before_start":
        return json.dumps(
            {
                "type": "coverage",
                "coverage_id": f"COV-{claim['claim_id']}",
                "patient_id": claim["patient_id"],
                "plan_id": "keystone_ppo",
                "member_id": "M0",
                "effective_from": "2026-01-01",
                "effective_to": "2025-01-01",
            }
        ).encode()
    return json.dumps(claim).encode()
