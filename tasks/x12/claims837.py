"""The claims of an 837P transaction set (005010X222A1), read from its loops.

What is read (docs/sources.md §9): billing provider 2010AA NM1*85 (+ PRV*BI, N4), subscriber
2000B SBR (SBR09 filing indicator) and 2010BA NM1*IL + DMG, payer 2010BB NM1*PR,
patient 2000C/2010CA NM1*QC + DMG, claim 2300 CLM (CLM01, CLM02, CLM05-1/-3), HI
(ABK/ABF; BK/BF are ICD-9), REF*G1 / 9F / F8, rendering 2310B NM1*82 + PRV*PE,
facility 2310C NM1*77 + N4, lines 2400 LX / SV1 / DTP*472 / REF*6R / REF*G1, line
rendering 2420A NM1*82.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from tasks.x12.reader import Seg, TransactionSet


@dataclass
class Party:
    last: str = ""
    first: str = ""
    id_qualifier: str = ""
    id: str = ""
    birth_date: str = ""
    sex: str = ""
    state: str = ""
    taxonomy: str = ""


@dataclass
class Line837:
    number: int
    code: str
    modifiers: list[str]
    charge: str
    unit_basis: str
    units: str
    place_of_service: str
    pointers: list[str]
    service_date: str = ""
    line_control_number: str = ""
    prior_auth: str = ""
    rendering_npi: str = ""


@dataclass
class Claim837:
    control_number: str
    created: str  # BHT04: when the claims were sent (the claim date)
    total_charge: str
    place_of_service: str
    frequency: str
    first_line: int
    billing: Party
    subscriber: Party
    patient: Party | None
    payer: Party
    filing_indicator: str
    diagnoses: list[tuple[str, str]] = field(default_factory=list)
    prior_auth: str = ""
    referral: str = ""
    payer_claim_control_number: str = ""
    # The first other payer (2320/2330B) that adjudicated: its id and what it paid (AMT*D).
    prior_payer_id: str = ""
    prior_payer_paid: str = ""
    other_payers: int = 0  # 2320 loops seen: the first is the payer that paid first
    rendering: Party | None = None
    facility: Party | None = None
    lines: list[Line837] = field(default_factory=list)
    segments: list[Seg] = field(default_factory=list)
    # The segment numbers of the levels it belongs to (billing provider, subscriber,
    # patient: each HL to its first child), first to last: a fault there is the claim's too.
    levels: list[list[int]] = field(default_factory=list)

    def spans(self) -> list[tuple[int, int]]:
        """The segment numbers that are this claim's: its own and its levels'."""
        own = (self.segments[0].line, self.segments[-1].line) if self.segments else None
        return [(a, b) for a, b in self.levels] + ([own] if own else [])

    @property
    def person(self) -> Party:
        """Who received the service: the patient loop if there is one, else the subscriber."""
        return self.patient or self.subscriber

    def text(self) -> str:
        return "~\n".join(s.text().rstrip("~") for s in self.segments) + "~"


def parse_date(value: str) -> dt.date | None:
    """CCYYMMDD (D8), or the start of CCYYMMDD-CCYYMMDD (RD8)."""
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


class _State:
    """The hierarchy read so far: who bills, who is covered, which claim and line are open."""

    def __init__(self) -> None:
        self.billing = Party()
        self.subscriber = Party()
        self.patient: Party | None = None
        self.payer = Party()
        self.filing = ""
        self.created = ""
        self.claim: Claim837 | None = None
        self.line: Line837 | None = None
        self.levels: dict[str, list[int]] = {}  # HL03 -> [first, last] segment number
        self.deepest = ""


def claims(tx: TransactionSet) -> Iterator[Claim837]:
    """Every claim (2300 loop) of an 837P set, with its parties and lines."""
    state = _State()
    for seg in tx.segments:
        if seg.id == "HL":
            finished = _close_claim(state)
            if finished:
                yield finished
            level = seg.get("03")
            if level == "20":
                state.billing, state.subscriber, state.patient = Party(), Party(), None
            elif level == "22":
                state.subscriber, state.patient, state.payer = Party(), None, Party()
            elif level == "23":
                state.patient = Party()
            _open_level(state, level, seg.line)
            continue
        if seg.id == "BHT":
            state.created = seg.get("04")
        if seg.id == "CLM":
            finished = _close_claim(state)
            if finished:
                yield finished
            state.claim = _new_claim(seg, state)
        elif seg.id in ("SE",):
            finished = _close_claim(state)
            if finished:
                yield finished
            continue
        if state.claim is not None:
            state.claim.segments.append(seg)
            _claim_segment(seg, state, state.claim)
        else:
            if state.deepest:
                state.levels[state.deepest][1] = seg.line
            _party_segment(seg, state)


_LEVELS = ("20", "22", "23")  # billing provider, subscriber, patient


def _open_level(state: _State, level: str, line: int) -> None:
    depth = _LEVELS.index(level) if level in _LEVELS else len(_LEVELS)
    for deeper in _LEVELS[depth:]:
        state.levels.pop(deeper, None)
    if level in _LEVELS:
        state.levels[level] = [line, line]
    state.deepest = level if level in _LEVELS else ""


def _close_claim(state: _State) -> Claim837 | None:
    claim, state.claim, state.line = state.claim, None, None
    return claim


def _new_claim(seg: Seg, state: _State) -> Claim837:
    return Claim837(
        control_number=seg.get("01"),
        created=state.created,
        total_charge=seg.get("02"),
        place_of_service=seg.get("05-01"),
        frequency=seg.get("05-03"),
        first_line=seg.line,
        billing=state.billing,
        subscriber=state.subscriber,
        patient=state.patient,
        payer=state.payer,
        filing_indicator=state.filing,
        levels=[state.levels[k] for k in _LEVELS if k in state.levels],
    )


def _name(seg: Seg, party: Party) -> None:
    party.last, party.first = seg.get("03"), seg.get("04")
    party.id_qualifier, party.id = seg.get("08"), seg.get("09")


def _party_segment(seg: Seg, state: _State) -> None:
    loop = seg.loop
    target = {
        "2010AA": state.billing,
        "2000A": state.billing,
        "2010BA": state.subscriber,
        "2010BB": state.payer,
        "2010CA": state.patient,
    }.get(loop)
    if seg.id == "SBR":
        state.filing = seg.get("09")
    elif target is None:
        return
    elif seg.id == "NM1":
        _name(seg, target)
    elif seg.id == "DMG":
        target.birth_date, target.sex = seg.get("02"), seg.get("03")
    elif seg.id == "N4":
        target.state = seg.get("02")
    elif seg.id == "PRV":
        target.taxonomy = seg.get("03")


def _claim_segment(seg: Seg, state: _State, claim: Claim837) -> None:
    loop = seg.loop
    if seg.id == "LX":
        state.line = Line837(int(seg.get("01") or 0), "", [], "", "", "", "", [])
        claim.lines.append(state.line)
    elif loop == "2300":
        _claim_level(seg, claim)
    elif loop in ("2310B", "2310C"):
        _claim_party(seg, claim, loop)
    elif loop in ("2320", "2330B"):
        _other_payer(seg, claim, loop)
    elif state.line is not None and loop in ("2400", "2420A"):
        _line_level(seg, state.line, loop)


def _claim_level(seg: Seg, claim: Claim837) -> None:
    if seg.id == "HI":
        for position in range(1, 13):
            qualifier = seg.get(f"{position:02d}-01")
            if qualifier:
                claim.diagnoses.append((qualifier, seg.get(f"{position:02d}-02")))
    elif seg.id == "REF":
        value = seg.get("02")
        kind = seg.get("01")
        if kind == "G1":
            claim.prior_auth = value
        elif kind == "9F":
            claim.referral = value
        elif kind == "F8":
            claim.payer_claim_control_number = value


def _other_payer(seg: Seg, claim: Claim837, loop: str) -> None:
    """The other payer's adjudication on a claim to a later payer (COB): the first 2320
    loop's AMT*D and its 2330B payer."""
    if loop == "2320" and seg.id == "SBR":
        claim.other_payers += 1
    if claim.other_payers != 1:
        return
    if loop == "2320" and seg.id == "AMT" and seg.get("01") == "D":
        claim.prior_payer_paid = seg.get("02")
    elif loop == "2330B" and seg.id == "NM1" and seg.get("01") == "PR":
        claim.prior_payer_id = seg.get("09")


def _claim_party(seg: Seg, claim: Claim837, loop: str) -> None:
    if loop == "2310B":
        claim.rendering = claim.rendering or Party()
        party = claim.rendering
    else:
        claim.facility = claim.facility or Party()
        party = claim.facility
    if seg.id == "NM1":
        _name(seg, party)
    elif seg.id == "PRV":
        party.taxonomy = seg.get("03")
    elif seg.id == "N4":
        party.state = seg.get("02")


def _line_level(seg: Seg, line: Line837, loop: str) -> None:
    if seg.id == "SV1":
        line.code = seg.get("01-02")
        line.modifiers = [m for m in (seg.get(f"01-{i:02d}") for i in range(3, 7)) if m]
        line.charge, line.unit_basis, line.units = seg.get("02"), seg.get("03"), seg.get("04")
        line.place_of_service = seg.get("05")
        line.pointers = [p for p in (seg.get(f"07-{i:02d}") for i in range(1, 5)) if p]
    elif seg.id == "DTP" and seg.get("01") == "472":
        line.service_date = seg.get("03")
    elif seg.id == "REF" and seg.get("01") == "6R":
        line.line_control_number = seg.get("02")
    elif seg.id == "REF" and seg.get("01") == "G1":
        line.prior_auth = seg.get("02")
    elif seg.id == "NM1" and loop == "2420A":
        line.rendering_npi = seg.get("09")
