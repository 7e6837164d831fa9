"""Deterministic people of the synthetic world: providers, patients and their coverage.

Every attribute of patient i or group g is drawn from a random generator seeded by
(seed, kind, index), so nothing needs to be remembered between sessions and memory stays
flat however many claims are made.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rules.codes import Credential, npi_check_digit
from tasks.synthetic import catalog as cat


def rng_for(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def make_npi(rng: random.Random) -> str:
    first_nine = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    return first_nine + npi_check_digit(first_nine)


@dataclass(frozen=True)
class ProviderInfo:
    npi: str
    credential: Credential
    state: str


@dataclass(frozen=True)
class PatientInfo:
    patient_id: str
    first_name: str
    last_name: str
    plan: cat.PlanSpec
    carved_out: bool
    primary_dx: str
    secondary_z: str | None
    goal: str

    @property
    def billed_payer(self) -> str:
        return cat.CARVEOUT_PAYER if self.carved_out else self.plan.payer_id

    @property
    def needs_auth(self) -> bool:
        return cat.CARVEOUT_REQUIRES_AUTH if self.carved_out else self.plan.requires_auth

    @property
    def needs_referral(self) -> bool:
        """The HMO wants a PCP referral for group psychotherapy (not when a carve-out pays)."""
        return self.plan.requires_referral and not self.carved_out

    @property
    def referral_number(self) -> str:
        return f"RF{self.patient_id.replace('-', '')}"

    @property
    def coverage_id(self) -> str:
        return f"COV-{self.patient_id}"

    @property
    def auth_number(self) -> str:
        return f"PA{self.patient_id.replace('-', '')}"


@lru_cache(maxsize=8)
def providers(seed: int) -> tuple[ProviderInfo, ...]:
    """Three providers per credential, licensed in the practice states in turn."""
    rng = rng_for(seed, "providers")
    states = [loc[2] for loc in cat.LOCATIONS]
    return tuple(
        ProviderInfo(make_npi(rng), credential, states[(i * 3 + k) % len(states)])
        for i, credential in enumerate(Credential)
        for k in range(3)
    )


def provider_record(seed: int, info: ProviderInfo, index: int) -> dict[str, Any]:
    rng = rng_for(seed, "provider", index)
    medicare_from = "2024-01-01" if info.credential in _MFT_MHC else "2020-01-01"
    enrollments = [
        {"payer_id": p[0], "effective_from": "2020-01-01"} for p in cat.PAYERS if p[0] != "medicare"
    ]
    enrollments.append({"payer_id": "medicare", "effective_from": medicare_from})
    return {
        "type": "provider",
        "npi": info.npi,
        "last_name": rng.choice(cat.LAST_NAMES),
        "first_name": rng.choice(cat.FIRST_NAMES),
        "credential": info.credential.value,
        "taxonomy": cat.TAXONOMY[info.credential],
        "license_state": info.state,
        "enrollments": enrollments,
    }


# Marriage and family therapists and mental health counsellors bill Medicare from 2024.
_MFT_MHC = (Credential.LMFT, Credential.LPC, Credential.LMHC)


def patient(seed: int, patient_id: str) -> PatientInfo:
    rng = rng_for(seed, "patient", patient_id)
    plan = rng.choices(cat.PLANS, weights=[p.weight for p in cat.PLANS])[0]
    return PatientInfo(
        patient_id=patient_id,
        first_name=rng.choice(cat.FIRST_NAMES),
        last_name=rng.choice(cat.LAST_NAMES),
        plan=plan,
        carved_out=rng.random() < plan.carveout_share,
        primary_dx=rng.choice(cat.PRIMARY_DIAGNOSES),
        secondary_z=rng.choice(cat.SECONDARY_Z) if rng.random() < 0.2 else None,
        goal=rng.choice(cat.GOALS),
    )


def patient_records(seed: int, info: PatientInfo, start: dt.date) -> list[dict[str, Any]]:
    """The patient, their coverage and (where the payer needs one) their authorization."""
    rng = rng_for(seed, "patient-records", info.patient_id)
    is_medicare = info.plan.payer_id in ("medicare", "bluebonnet_ma")
    age = rng.randint(66, 88) if is_medicare else rng.randint(19, 63)
    birth = dt.date(start.year - age, rng.randint(1, 12), rng.randint(1, 28))
    records: list[dict[str, Any]] = [
        {
            "type": "patient",
            "patient_id": info.patient_id,
            "first_name": info.first_name,
            "last_name": info.last_name,
            "birth_date": birth.isoformat(),
            "sex": rng.choice("FM"),
        },
        coverage_record(info, rng, dt.date(2020, 1, 1), None, info.coverage_id),
    ]
    if info.needs_auth:
        records.append(
            auth_record(
                info,
                info.auth_number,
                start - dt.timedelta(days=30),
                start + dt.timedelta(days=400),
                0,
                60,
            )
        )
    if info.needs_referral:
        end = start + dt.timedelta(days=365)
        referral = auth_record(
            info, info.referral_number, start - dt.timedelta(days=30), end, 0, 52, kind="referral"
        )
        records.append(referral)
    return records


def coverage_record(
    info: PatientInfo, rng: random.Random, start: dt.date, end: dt.date | None, coverage_id: str
) -> dict[str, Any]:
    copay = (
        Decimal(rng.choice(["0.00", "10.00", "20.00", "30.00"]))
        if info.plan.payer_id.endswith("commercial")
        else Decimal("0.00")
    )
    coinsurance = "20.00" if info.plan.payer_id == "medicare" else "0.00"
    record: dict[str, Any] = {
        "type": "coverage",
        "coverage_id": coverage_id,
        "patient_id": info.patient_id,
        "plan_id": info.plan.plan_id,
        "member_id": f"M{rng.randrange(10**9, 10**10)}",
        "effective_from": start.isoformat(),
        "effective_to": end.isoformat() if end else None,
        "bh_benefit": "carved_out" if info.carved_out else "plan",
        "copay": str(copay),
        "coinsurance_pct": coinsurance,
        "deductible": "0.00",
        "deductible_met": "0.00",
    }
    if info.carved_out:
        record["carveout_payer_id"] = cat.CARVEOUT_PAYER
    return record


def auth_record(
    info: PatientInfo,
    number: str,
    start: dt.date,
    end: dt.date,
    used: int,
    approved: int,
    *,
    kind: str = "prior_auth",
) -> dict[str, Any]:
    return {
        "type": "authorization",
        "auth_number": number,
        "kind": kind,
        "patient_id": info.patient_id,
        "payer_id": info.billed_payer,
        "procedure_codes": ["90853", "90785"] if kind == "prior_auth" else ["90853"],
        "units_approved": approved,
        "units_used": used,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }


def location_npi(seed: int, location_id: str) -> str:
    """The site's own (type 2) NPI, which an 837P names in 2310C."""
    return make_npi(rng_for(seed, "location-npi", location_id))


def master_records(seed: int) -> list[dict[str, Any]]:
    """Payers, plans, locations and providers: the first file of every generated set."""
    out: list[dict[str, Any]] = [
        {"type": "payer", "payer_id": p, "name": n, "kind": k.value} for p, n, k in cat.PAYERS
    ]
    out += [
        {
            "type": "plan",
            "plan_id": p.plan_id,
            "payer_id": p.payer_id,
            "name": p.name,
            "state": p.state,
        }
        for p in cat.PLANS
    ]
    out.append(
        {
            "type": "plan",
            "plan_id": "harbor_bh_admin",
            "payer_id": cat.CARVEOUT_PAYER,
            "name": "Harbor BH administered benefit",
        }
    )
    out += [
        {
            "type": "location",
            "location_id": lid,
            "name": name,
            "state": st,
            "kind": kind.value,
            "place_of_service": pos,
            "npi": location_npi(seed, lid),
        }
        for lid, name, st, kind, pos in cat.LOCATIONS
    ]
    out += [provider_record(seed, info, i) for i, info in enumerate(providers(seed))]
    return out
