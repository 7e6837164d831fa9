"""Turn an 837P claim into claim-packet records, linked to the master data already on file.

An 837P names people by NPI and member id, not by ClaimGuard's record ids, so each
claim is linked through a `Directory` of what is on file: the member's coverage (by payer
and member id), the rendering provider (NPI), the site (facility NPI, else the billing
NPI), the payer. What is not on file is created from the 837P itself, marked for what it
is: a coverage known only from a claim is `reported_by_claim` (verification holds the
claim until eligibility is confirmed). A claim whose patient attended exactly one group
session that day with the rendering provider facilitating is linked to that session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.codes import PayerKind
from tasks.intake.reasons import Reason
from tasks.x12.claims837 import Claim837, Line837, Party, parse_date

# SBR09 claim filing indicator -> the payer kind a payer first seen in an 837P is given.
FILING_KIND = {
    "MA": PayerKind.MEDICARE,
    "MB": PayerKind.MEDICARE,
    "16": PayerKind.MEDICARE_ADVANTAGE,
    "MC": PayerKind.MEDICAID_MANAGED_CARE,
}
# Rendering taxonomy (NUCC) -> credential, for providers first seen in an 837P.
TAXONOMY_CREDENTIAL = {
    "2084P0800X": "MD",
    "2084P0804X": "MD",
    "103T00000X": "PhD",
    "103TC0700X": "PhD",
    "103TC2200X": "PhD",
    "1041C0700X": "LCSW",
    "104100000X": "LCSW",
    "101YP2500X": "LPC",
    "101YM0800X": "LMHC",
    "101Y00000X": "LPC",
    "106H00000X": "LMFT",
    "363LP0808X": "NP",
    "364SP0808X": "NP",
    "363A00000X": "PA",
}
NUCC_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")
NUCC_SHAPE = re.compile(r"[0-9A-Z]{1,12}")  # code-like enough to repeat in a reason
# Where a packet field of a claim comes from in the 837P, for error messages.
X12_FIELD = {
    "claim_id": "CLM01",
    "claim_date": "DTP*472",
    "place_of_service": "CLM05-1",
    "frequency_code": "CLM05-3",
    "diagnoses": "HI",
    "prior_auth_number": "REF*G1",
    "referral_number": "REF*9F",
    "payer_claim_control_number": "REF*F8",
    "prior_payer_id": "2330B NM1*PR NM109",
    "prior_payer_paid": "2320 AMT*D",
    "billing_npi": "NM1*85 NM109",
    "rendering_npi": "NM1*82 NM109",
    "procedure_code": "SV101-2",
    "modifiers": "SV101-3..6",
    "units": "SV104",
    "charge": "SV102",
    "diagnosis_pointers": "SV107",
    "service_date": "DTP*472",
    "line_control_number": "REF*6R",
}


@dataclass
class Directory:
    """What is on file, as the 837P mapping needs it (filled from the claim database)."""

    payers: dict[str, PayerKind] = field(default_factory=dict)
    plans: set[str] = field(default_factory=set)
    coverage: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    providers: set[str] = field(default_factory=set)
    location_by_npi: dict[str, str] = field(default_factory=dict)
    # (patient_id, date) -> [(session_id, facilitator NPIs)]
    sessions: dict[tuple[str, dt.date], list[tuple[str, frozenset[str]]]] = field(
        default_factory=dict
    )


@dataclass
class Mapped:
    """The packet records of one claim (master records first) or why it cannot be read."""

    records: list[dict[str, Any]]
    reasons: list[Reason]
    session_inferred: bool = False


def _hid(prefix: str, *parts: str) -> str:
    # Ids derived from identifiers are hashed: a member id must not become a record id.
    return f"{prefix}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:16]}"


def _refuse(ref: str, expected: str, found: str) -> Reason:
    return Reason(field=ref, expected=expected, found=found)


def map_claim(claim: Claim837, directory: Directory) -> Mapped:
    reasons = _envelope_reasons(claim)
    if reasons:
        return Mapped([], reasons)
    records: list[dict[str, Any]] = []
    payer_id = claim.payer.id
    if payer_id not in directory.payers:
        kind = FILING_KIND.get(claim.filing_indicator, PayerKind.COMMERCIAL)
        records.append(
            {
                "type": "payer",
                "payer_id": payer_id,
                "name": claim.payer.last or payer_id,
                "kind": kind,
            }
        )
        directory.payers[payer_id] = kind
    patient_id, coverage_id = _member(claim, directory, records)
    rendering = _rendering(claim)
    problem = _provider(claim, rendering, directory, records)
    if problem:
        return Mapped([], [problem])
    location_id = _location(claim, directory, records)
    dates = [parse_date(line.service_date) for line in claim.lines]
    service_date = min((d for d in dates if d), default=None)
    session_id = _session(directory, patient_id, service_date, rendering.id)
    records.append(
        _claim_record(
            claim, payer_id, patient_id, coverage_id, rendering.id, location_id, session_id
        )
    )
    return Mapped(records, [], session_inferred=session_id is not None)


def _envelope_reasons(claim: Claim837) -> list[Reason]:
    reasons = []
    if not claim.payer.id:
        reasons.append(_refuse("NM1*PR NM109", "the payer's id (2010BB)", "none"))
    if not claim.subscriber.id:
        reasons.append(_refuse("NM1*IL NM109", "the subscriber's member id (2010BA)", "none"))
    if not claim.billing.id or claim.billing.id_qualifier != "XX":
        reasons.append(_refuse("NM1*85 NM109", "the billing provider's NPI (qualifier XX)", "none"))
    old = [q for q, _ in claim.diagnoses if q in ("BK", "BF")]
    if old:
        reasons.append(
            _refuse(
                "HI01-1",
                "ICD-10-CM diagnoses (qualifiers ABK, ABF); ICD-9 ended on 2015-10-01",
                f"ICD-9 qualifier {old[0]}",
            )
        )
    minutes = [line.number for line in claim.lines if line.unit_basis == "MJ"]
    if minutes:
        reasons.append(
            _refuse(
                f"SV103 (LX {minutes[0]})", "units (UN) for a timed group session", "minutes (MJ)"
            )
        )
    return reasons


def _member(
    claim: Claim837, directory: Directory, records: list[dict[str, Any]]
) -> tuple[str, str]:
    payer_id, member = claim.payer.id, claim.subscriber.id
    known = directory.coverage.get((payer_id, member))
    if known is not None:
        return known[1], known[0]
    person = claim.person
    patient_id = _hid("PX", payer_id, member, person.last, person.first)
    coverage_id = _hid("CX", payer_id, member)
    plan_id = f"{payer_id}.837P"[:64]
    if plan_id not in directory.plans:
        records.append(
            {
                "type": "plan",
                "plan_id": plan_id,
                "payer_id": payer_id,
                "name": "Plan not named (from 837P)",
            }
        )
        directory.plans.add(plan_id)
    birth = parse_date(person.birth_date)
    records.append(
        {
            "type": "patient",
            "patient_id": patient_id,
            "last_name": person.last or "UNKNOWN",
            "first_name": person.first or "UNKNOWN",
            "birth_date": birth.isoformat() if birth else None,
            "sex": person.sex if person.sex in ("F", "M") else "U",
        }
    )
    first = min((d for d in (parse_date(ln.service_date) for ln in claim.lines) if d), default=None)
    records.append(
        {
            "type": "coverage",
            "coverage_id": coverage_id,
            "patient_id": patient_id,
            "plan_id": plan_id,
            "member_id": member,
            "effective_from": first.isoformat() if first else None,
            "reported_by_claim": True,
        }
    )
    directory.coverage[(payer_id, member)] = (coverage_id, patient_id)
    return patient_id, coverage_id


def _rendering(claim: Claim837) -> Party:
    if claim.rendering is not None and claim.rendering.id:
        return claim.rendering
    return claim.billing  # an individual provider bills under their own NPI


def _provider(
    claim: Claim837, rendering: Party, directory: Directory, records: list[dict[str, Any]]
) -> Reason | None:
    if rendering.id in directory.providers:
        return None
    taxonomy = rendering.taxonomy or claim.billing.taxonomy
    if taxonomy and not NUCC_TAXONOMY.fullmatch(taxonomy):
        shape = f"{len(taxonomy)} characters"
        return _refuse(
            "PRV03 (2310B)",
            "a NUCC taxonomy code (10 letters or digits ending in X) for a rendering "
            "provider not on file",
            shape if not NUCC_SHAPE.fullmatch(taxonomy) else f"{taxonomy!r}",
        )
    # Where the taxonomy says the licence, the credential is known; otherwise (an agency's
    # 251S00000X, a clinic's 261QR0405X) it is left unknown and step 1 asks for it.
    credential = TAXONOMY_CREDENTIAL.get(taxonomy)
    records.append(
        {
            "type": "provider",
            "npi": rendering.id,
            "last_name": rendering.last or "UNKNOWN",
            "first_name": rendering.first or "UNKNOWN",
            "credential": credential,
            "taxonomy": taxonomy or None,
            "license_state": claim.billing.state
            or (claim.facility.state if claim.facility else ""),
        }
    )
    directory.providers.add(rendering.id)
    return None


def _location(claim: Claim837, directory: Directory, records: list[dict[str, Any]]) -> str:
    site = claim.facility if claim.facility is not None and claim.facility.id else claim.billing
    known = directory.location_by_npi.get(site.id)
    if known is not None:
        return known
    location_id = _hid("LX", site.id)
    records.append(
        {
            "type": "location",
            "location_id": location_id,
            "name": (site.last or "Service site")[:120],
            "state": site.state or claim.billing.state,
            "place_of_service": claim.place_of_service or "11",
            "npi": site.id,
        }
    )
    directory.location_by_npi[site.id] = location_id
    return location_id


def _session(
    directory: Directory, patient_id: str, date: dt.date | None, rendering_npi: str
) -> str | None:
    if date is None:
        return None
    candidates = [
        sid for sid, npis in directory.sessions.get((patient_id, date), []) if rendering_npi in npis
    ]
    return candidates[0] if len(candidates) == 1 else None


def _claim_record(
    claim: Claim837,
    payer_id: str,
    patient_id: str,
    coverage_id: str,
    rendering_npi: str,
    location_id: str,
    session_id: str | None,
) -> dict[str, Any]:
    dates = [parse_date(line.service_date) for line in claim.lines]
    record: dict[str, Any] = {
        "type": "claim",
        "claim_id": claim.control_number,
        # The claim date is when it was sent (BHT04); without one, the last service date.
        "claim_date": (
            parse_date(claim.created) or max((d for d in dates if d), default=dt.date(1, 1, 1))
        ).isoformat(),
        "patient_id": patient_id,
        "coverage_id": coverage_id,
        "payer_id": payer_id,
        "billing_npi": claim.billing.id,
        "rendering_npi": rendering_npi,
        "location_id": location_id,
        "place_of_service": claim.place_of_service,
        "frequency_code": claim.frequency or "1",
        # X12 sends ICD-10-CM without its dot (F4310); the packet model takes either.
        "diagnoses": [code for _, code in claim.diagnoses],
        "lines": [_line(line, rendering_npi) for line in claim.lines],
    }
    optional = {
        "session_id": session_id,
        "prior_auth_number": claim.prior_auth,
        "referral_number": claim.referral,
        "payer_claim_control_number": claim.payer_claim_control_number,
        "prior_payer_id": claim.prior_payer_id,
        "prior_payer_paid": claim.prior_payer_paid,
    }
    record.update({k: v for k, v in optional.items() if v})
    return record


def _line(line: Line837, rendering_npi: str) -> dict[str, Any]:
    date = parse_date(line.service_date)
    out: dict[str, Any] = {
        "line_number": line.number,
        "procedure_code": line.code,
        "modifiers": line.modifiers,
        "units": _number(line.units),
        "charge": _number(line.charge),
        "diagnosis_pointers": [int(p) if p.isdigit() else p for p in line.pointers],
        "service_date": date.isoformat() if date else line.service_date,
    }
    if line.place_of_service:
        out["place_of_service"] = line.place_of_service
    if line.line_control_number:
        out["line_control_number"] = line.line_control_number
    if line.prior_auth:
        out["prior_auth_number"] = line.prior_auth
    if line.rendering_npi and line.rendering_npi != rendering_npi:
        out["rendering_npi"] = line.rendering_npi
    return out


def _number(value: str) -> str:
    try:
        return str(Decimal(value))
    except InvalidOperation:
        return value


def x12_field(packet_field: str) -> str:
    """'lines[2].charge' -> 'SV102 (LX 2) [lines[2].charge]'."""
    head, _, rest = packet_field.partition(".")
    if head.startswith("lines[") and rest:
        number = head[6:-1]
        name = rest.split(".", 1)[0]
        return f"{X12_FIELD.get(name, name)} (LX {number}) [{packet_field}]"
    name = head.split("[", 1)[0]
    return f"{X12_FIELD[name]} [{packet_field}]" if name in X12_FIELD else packet_field
