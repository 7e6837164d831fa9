"""A clean claim context for any payer, as plain dicts, and the means to change and build it.

The base: patient PT-1 in a 60-minute, in-person group psychotherapy session GS-1 with
PT-2 and PT-3 on 2026-11-02 at an Austin clinic, billed 90853 by an LCSW, primary
diagnosis F33.1, with a prior authorization and a referral on file and on the claim. It
passes every rule of every shipped payer; a case changes one thing and sees one rule fire.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from rules.codes import BenefitOrder, FrequencyCode, PayerKind
from rules.context import ClaimContext, OtherCoverage, Participant, PriorService
from rules.records import (
    Authorization,
    Claim,
    Coverage,
    GroupSession,
    Location,
    Patient,
    Payer,
    Plan,
    Provider,
    SessionNote,
)
from rules.remit import RemitClaim
from tests.builders import NPI

DOS = "2026-11-02"
PLAIN_PAYER = "plain_commercial"  # a payer with no rule files of its own: the defaults judge it
KINDS = {
    "medicare": "medicare",
    "bluebonnet_ma": "medicare_advantage",
    "pecan_tx_medicaid": "medicaid_managed_care",
    "dogwood_va_medicaid": "medicaid_managed_care",
    "keystone_commercial": "commercial",
    "summit_commercial": "commercial",
    "harbor_bh": "bh_carveout",
    PLAIN_PAYER: "commercial",
}


def base(payer: str = PLAIN_PAYER) -> dict[str, Any]:
    """A clean context for `payer`, as dicts keyed like ClaimContext's fields."""
    carved = KINDS[payer] == "bh_carveout"
    plan_payer = "summit_commercial" if carved else payer
    line = base_line()
    if payer == "pecan_tx_medicaid":
        line["modifiers"] = ["HQ"]
    return {
        "payer": {"type": "payer", "payer_id": payer, "name": payer, "kind": KINDS[payer]},
        "plan": {
            "type": "plan",
            "plan_id": f"{plan_payer}_plan",
            "payer_id": plan_payer,
            "name": "Plan",
        },
        "coverage": {
            "type": "coverage",
            "coverage_id": "COV-1",
            "patient_id": "PT-1",
            "plan_id": f"{plan_payer}_plan",
            "member_id": "M1",
            "effective_from": "2020-01-01",
            "bh_benefit": "carved_out" if carved else "plan",
            **({"carveout_payer_id": payer} if carved else {}),
            # Medicare Part B: 20 % coinsurance; the others a $20 copay.
            "copay": "0.00" if payer == "medicare" else "20.00",
            "coinsurance_pct": "20" if payer == "medicare" else "0",
        },
        "patient": {
            "type": "patient",
            "patient_id": "PT-1",
            "first_name": "Marisol",
            "last_name": "Okafor",
            "birth_date": "1950-04-05",
            "sex": "F",
        },
        "rendering": {
            "type": "provider",
            "npi": NPI,
            "last_name": "Lindqvist",
            "first_name": "Annika",
            "credential": "LCSW",
            "taxonomy": "1041C0700X",
            "license_state": "TX",
            "enrollments": [{"payer_id": payer, "effective_from": "2020-01-01"}],
        },
        "location": {
            "type": "location",
            "location_id": "austin",
            "name": "Austin Clinic",
            "state": "TX",
            "kind": "clinic",
            "place_of_service": "11",
        },
        "session": {
            "type": "group_session",
            "session_id": "GS-1",
            "location_id": "austin",
            "service_date": DOS,
            "start_time": "10:00",
            "end_time": "11:00",
            "session_type": "group_psychotherapy",
            "modality": "in_person",
            "facilitator_npis": [NPI],
            "roster": ["PT-1", "PT-2", "PT-3"],
            "recorded_group_size": 3,
        },
        "note": note(
            "NT-1",
            "PT-1",
            "described cravings on the weekend and the plan used to manage them",
            "set a concrete goal for the coming week",
        ),
        "peer_notes": [
            note(
                "NT-2",
                "PT-2",
                "role-played a difficult conversation with a family member",
                "demonstrated the skill correctly after coaching",
            ),
            note(
                "NT-3",
                "PT-3",
                "was tearful when discussing the anniversary of a loss",
                "reported feeling less isolated after hearing similar experiences",
            ),
        ],
        "participants": [
            {"patient_id": "PT-2", "first_name": "Tobias", "last_name": "Brannigan"},
            {"patient_id": "PT-3", "first_name": "Imani", "last_name": "Castellanos"},
        ],
        "authorizations": [
            auth("PA-100", payer, "prior_auth", ["90853", "90785"]),
            auth("RF-100", payer, "referral", ["90853"]),
        ],
        "history": [],
        "remittance": None,
        "claim": {
            "type": "claim",
            "claim_id": "CL-1",
            "claim_date": "2026-11-03",
            "patient_id": "PT-1",
            "coverage_id": "COV-1",
            "payer_id": payer,
            "billing_npi": NPI,
            "rendering_npi": NPI,
            "location_id": "austin",
            "session_id": "GS-1",
            "place_of_service": "11",
            "prior_auth_number": "PA-100",
            "referral_number": "RF-100",
            "diagnoses": ["F33.1"],
            "lines": [line],
        },
    }


def base_line(**over: Any) -> dict[str, Any]:
    line = {
        "line_number": 1,
        "procedure_code": "90853",
        "modifiers": [],
        "units": "1",
        "charge": "95.00",
        "diagnosis_pointers": [1],
        "service_date": DOS,
    }
    return {**line, **over}


def note(note_id: str, patient_id: str, participation: str, response: str) -> dict[str, Any]:
    return {
        "type": "note",
        "note_id": note_id,
        "session_id": "GS-1",
        "patient_id": patient_id,
        "author_npi": NPI,
        "signed_on": DOS,
        "elements": {
            "start_time": "10:00",
            "end_time": "11:00",
            "therapeutic_focus": "relapse prevention",
            "diagnosis_codes": ["F33.1"],
            "treatment_plan_goal": "use two coping strategies when cravings arise",
            "participation": participation,
            "response": response,
            "intervention": "cognitive behavioral therapy",
            "medical_necessity": "Group psychotherapy treats symptoms that impair daily functioning.",
            "group_size": 3,
            "provider_credential": "LCSW",
            "signed_by_npi": NPI,
        },
        "text": f"Focus: relapse prevention. Participation: {participation}. Response: {response}.",
    }


def auth(number: str, payer: str, kind: str, codes: list[str], **over: Any) -> dict[str, Any]:
    base_auth = {
        "type": "authorization",
        "auth_number": number,
        "kind": kind,
        "patient_id": "PT-1",
        "payer_id": payer,
        "procedure_codes": codes,
        "units_approved": 24,
        "units_used": 3,
        "start_date": "2026-10-01",
        "end_date": "2027-03-31",
    }
    return {**base_auth, **over}


def apply(ctx: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Set dotted paths; a list index one past the end appends; a line dict is merged onto a base line."""
    out = copy.deepcopy(ctx)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target: Any = out
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            index = int(leaf)
            if parents[-1] == "lines" and isinstance(value, dict):
                value = base_line(**{"line_number": index + 1, **value})
            if index == len(target):
                target.append(value)
            else:
                target[index] = value
        elif value == "<delete>":
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return out


_ADAPTERS = {
    "claim": TypeAdapter(Claim),
    "payer": TypeAdapter(Payer | None),
    "coverage": TypeAdapter(Coverage | None),
    "plan": TypeAdapter(Plan | None),
    "patient": TypeAdapter(Patient | None),
    "rendering": TypeAdapter(Provider | None),
    "location": TypeAdapter(Location | None),
    "session": TypeAdapter(GroupSession | None),
    "note": TypeAdapter(SessionNote | None),
    "remittance": TypeAdapter(RemitClaim | None),
}


def build(ctx: dict[str, Any]) -> ClaimContext:
    """Validate every part through the real models and assemble the context."""
    values: dict[str, Any] = {
        name: adapter.validate_python(ctx.get(name)) for name, adapter in _ADAPTERS.items()
    }
    values["peer_notes"] = tuple(
        TypeAdapter(SessionNote).validate_python(n) for n in ctx["peer_notes"]
    )
    values["participants"] = tuple(Participant(**p) for p in ctx["participants"])
    values["authorizations"] = tuple(
        TypeAdapter(Authorization).validate_python(a) for a in ctx["authorizations"]
    )
    values["history"] = tuple(_prior(h) for h in ctx["history"])
    values["postings"] = tuple(RemitClaim.model_validate(p) for p in ctx.get("postings", ()))
    values["other_coverage"] = tuple(_other(c) for c in ctx.get("other_coverage", ()))
    return ClaimContext(**values)


def _other(c: dict[str, Any]) -> OtherCoverage:
    import datetime as dt

    ends = c.get("effective_to")
    return OtherCoverage(
        coverage_id=c.get("coverage_id", "COV-2"),
        payer_id=c["payer_id"],
        payer_kind=PayerKind(c["payer_kind"]) if c.get("payer_kind") else None,
        order=BenefitOrder(c.get("order", "primary")),
        effective_from=dt.date.fromisoformat(str(c.get("effective_from", "2020-01-01"))),
        effective_to=dt.date.fromisoformat(str(ends)) if ends else None,
    )


def _prior(h: dict[str, Any]) -> PriorService:
    import datetime as dt
    from decimal import Decimal

    return PriorService(
        claim_id=h["claim_id"],
        claim_date=dt.date.fromisoformat(str(h.get("claim_date", "2026-11-02"))),
        service_date=dt.date.fromisoformat(str(h.get("service_date", DOS))),
        procedure_code=h.get("procedure_code", "90853"),
        modifiers=tuple(h.get("modifiers", ())),
        units=Decimal(str(h.get("units", "1"))),
        rendering_npi=h.get("rendering_npi", NPI),
        frequency_code=FrequencyCode(str(h.get("frequency_code", "1"))),
    )
