"""The contract's expected allowed amount for a line, from the fee schedule tables.

Medicare: RVUs x conversion factor (x GPCI where the locality is known), facility or
non-facility by place of service, then the provider-type percentage (75 % for CSW, MFT and
MHC). Example to the cent: 90853 on 2024-06-12, non-facility, psychologist:
(0.62 + 0.19 + 0.02) x 33.2875 = 27.63. Other payers: a fixed amount, or a percentage
of the Medicare amount, from fee_schedule.csv, the most specific matching row winning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rules.codes import Credential
from rules.tables import FeeBasis, FeeRow, Tables

CENT = Decimal("0.01")
# CMS place-of-service codes paid at the facility rate; POS 02 is facility, POS 10 is not.
FACILITY_POS = frozenset(
    {"02", "19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
)
PROVIDER_GROUPS = {
    "physician": {Credential.MD, Credential.DO},
    "psychologist": {Credential.PHD, Credential.PSYD},
    "csw": {Credential.LCSW},
    "mft_mhc": {Credential.LMFT, Credential.LPC, Credential.LMHC},
    "np_pa": {Credential.NP, Credential.PA},
}


@dataclass(frozen=True)
class Expected:
    amount: Decimal
    source: str
    detail: str
    illustrative: bool
    term: str = ""  # the contract's clause, where the row names one
    # The payer allows the billed charge when it is lower (Medicare always: MCPM ch. 12 §20).
    lesser_of_billed: bool = True


def setting_of(place_of_service: str) -> str:
    return "facility" if place_of_service in FACILITY_POS else "non_facility"


def group_of(credential: Credential | None) -> str:
    return next((name for name, members in PROVIDER_GROUPS.items() if credential in members), "any")


def medicare_amount(
    tables: Tables,
    code: str,
    place_of_service: str,
    credential: Credential | None,
    on: dt.date,
    locality: str | None = None,
) -> Expected | None:
    """The Medicare PFS allowed amount for one unit."""
    rvu = tables.rvu_for(code, on)
    if rvu is None:
        return None
    facility = setting_of(place_of_service) == "facility"
    pe = rvu.pe_facility if facility else rvu.pe_non_facility
    gpci = tables.gpci_for(locality, on) if locality else None
    work, pe_g, mp = (
        (gpci.work, gpci.pe, gpci.malpractice) if gpci else (Decimal(1), Decimal(1), Decimal(1))
    )
    total = rvu.work * work + pe * pe_g + rvu.malpractice * mp
    amount = (total * rvu.conversion_factor).quantize(CENT, ROUND_HALF_UP)
    percent = tables.provider_percent.get(group_of(credential))
    detail = f"({rvu.work} + {pe} + {rvu.malpractice}) RVU x {rvu.conversion_factor} CF, {'facility' if facility else 'non-facility'}"
    if gpci:
        detail += f", GPCI {locality}"
    if percent is not None and percent.percent != 100:
        amount = (amount * percent.percent / 100).quantize(CENT, ROUND_HALF_UP)
        detail += f", x {percent.percent}% for {group_of(credential)}"
    illustrative = (
        rvu.illustrative
        or bool(gpci and gpci.illustrative)
        or bool(percent and percent.illustrative)
    )
    return Expected(amount, rvu.source, detail, illustrative)


def contract_amount(
    tables: Tables,
    payer_id: str,
    plan_id: str | None,
    code: str,
    modifiers: list[str],
    place_of_service: str,
    credential: Credential | None,
    on: dt.date,
    locality: str | None = None,
) -> Expected | None:
    """The expected allowed amount for one unit under a non-Medicare contract (a percent of
    Medicare is of the amount in the location's Medicare locality, where it has one)."""
    row = _best_row(
        tables.fee_rows(payer_id, code, on),
        plan_id,
        modifiers,
        setting_of(place_of_service),
        credential,
    )
    if row is None:
        return None
    if row.basis is FeeBasis.AMOUNT:
        amount, detail = row.value, f"contract amount for {code}"
        illustrative = row.illustrative
    else:
        base = medicare_amount(tables, code, place_of_service, credential, on, locality)
        if base is None:
            return None
        amount = (base.amount * row.value / 100).quantize(CENT, ROUND_HALF_UP)
        detail = f"{row.value}% of Medicare: {base.detail}"
        illustrative = row.illustrative or base.illustrative
    years = _anniversaries(row.effective, on)
    if row.escalator and years:
        amount = (amount * (1 + row.escalator / 100) ** years).quantize(CENT, ROUND_HALF_UP)
        detail += f", +{row.escalator}% a year for {years} year(s)"
    return Expected(amount, row.source, detail, illustrative, row.term, row.lesser_of_billed)


def _anniversaries(start: dt.date, on: dt.date) -> int:
    """Whole years from `start` to `on`: the escalations a contract has had by then."""
    return max(0, on.year - start.year - ((on.month, on.day) < (start.month, start.day)))


def _best_row(
    rows: list[FeeRow],
    plan_id: str | None,
    modifiers: list[str],
    setting: str,
    credential: Credential | None,
) -> FeeRow | None:
    group = group_of(credential)

    def fits(row: FeeRow) -> bool:
        return (
            row.plan_id in ("", plan_id)
            and (row.modifier == "" or row.modifier in modifiers)
            and row.setting in ("any", setting)
            and row.provider_type in ("any", group, credential.value if credential else "")
        )

    def specificity(row: FeeRow) -> int:
        return sum(
            1
            for value in (
                row.plan_id,
                row.modifier,
                row.setting != "any",
                row.provider_type != "any",
            )
            if value
        )

    candidates = [r for r in rows if fits(r)]
    return max(candidates, key=specificity) if candidates else None
