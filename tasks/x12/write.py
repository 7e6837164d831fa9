"""Write 837P and 835 interchanges that pyx12 validates (for the generator and tests).

Segments are joined with '*', components with ':', segments end with '~' and a newline
(the newline is allowed between segments and makes files readable). The envelope counts
(SE01, GE01, IEA01) are computed, never typed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TextIO

Segment = Sequence[str]


def money(value: Decimal) -> str:
    """X12 decimal: no trailing zeros, no leading '+' ('40', '27.63', '-12.5')."""
    text = format(value.quantize(Decimal("0.01")).normalize(), "f")
    return "0" if text in ("-0", "0.00") else text


def text(value: str) -> str:
    """A value in the X12 basic character set: accents folded (ö -> O), delimiters removed."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9 .,'&()/-]", "", folded.upper())


def _join(segment: Segment) -> str:
    items = list(segment)
    while len(items) > 1 and items[-1] == "":
        items.pop()  # trailing empty elements are dropped, as the standard requires
    return "*".join(items) + "~"


class InterchangeWriter:
    """Writes one interchange set by set, so a file of any size is written in flat memory."""

    def __init__(
        self,
        handle: TextIO,
        sender: str,
        receiver: str,
        control: int,
        created: dt.datetime,
        functional_id: str,  # HC (837) or HP (835)
        version: str,  # GS08
    ) -> None:
        self.handle, self.control, self.version, self.sets = handle, control, version, 0
        isa = [
            "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15)[:15], "ZZ",
            receiver.ljust(15)[:15], f"{created:%y%m%d}", f"{created:%H%M}", "^", "00501",
            f"{control:09d}", "0", "P", ":",
        ]  # fmt: skip
        handle.write("*".join(isa) + "~\n")
        gs = ["GS", functional_id, sender, receiver, f"{created:%Y%m%d}", f"{created:%H%M}",
              str(control), "X", version]  # fmt: skip
        handle.write(_join(gs) + "\n")

    def add(self, body: list[Segment]) -> None:
        """One transaction set: body[0] is [ST01]; ST02, ST03 and SE are filled in."""
        self.sets += 1
        number = f"{self.sets:04d}"
        st = ["ST", body[0][0], number] + ([self.version] if body[0][0] == "837" else [])
        segments = [st, *body[1:]]
        self.handle.write("\n".join(_join(seg) for seg in segments) + "\n")
        self.handle.write(_join(["SE", str(len(segments) + 1), number]) + "\n")

    def close(self) -> None:
        self.handle.write(_join(["GE", str(self.sets), str(self.control)]) + "\n")
        self.handle.write(_join(["IEA", "1", f"{self.control:09d}"]) + "\n")


def write_interchange(
    path: Path,
    sets: Iterable[list[Segment]],
    *,
    sender: str,
    receiver: str,
    control: int,
    created: dt.datetime,
    functional_id: str,
    version: str,
) -> Path:
    with path.open("w") as handle:
        writer = InterchangeWriter(
            handle, sender, receiver, control, created, functional_id, version
        )
        for body in sets:
            writer.add(body)
        writer.close()
    return path


# ---------------------------------------------------------------- 837P


@dataclass
class Person:
    last: str
    first: str = ""
    id: str = ""
    birth_date: dt.date | None = None
    sex: str = "U"
    address: str = "1 MAIN ST"
    city: str = "AUSTIN"
    state: str = "TX"
    zip: str = "78701"
    taxonomy: str = ""


@dataclass
class Line:
    number: int
    code: str
    modifiers: list[str]
    charge: Decimal
    units: Decimal
    pointers: list[int]
    service_date: dt.date
    place_of_service: str | None = None
    control_number: str | None = None
    prior_auth: str | None = None


@dataclass
class Claim:
    claim_id: str
    total: Decimal
    place_of_service: str
    frequency: str
    diagnoses: list[str]
    billing: Person
    subscriber: Person
    payer: Person
    filing_indicator: str
    rendering: Person | None
    facility: Person | None
    lines: list[Line]
    prior_auth: str | None = None
    referral: str | None = None
    payer_claim_control_number: str | None = None
    tax_id: str = "741234567"
    prior_payer: OtherPayer | None = None  # COB: the payer that adjudicated first


@dataclass
class OtherPayer:
    """The 2320/2330 loops: the payer that adjudicated the claim first, and what it paid."""

    payer: Person  # last = name, id = payer id
    subscriber: Person  # the member under that payer
    paid: Decimal
    filing_indicator: str


def claim_set(claims: Iterable[Claim], submitter: str, created: dt.datetime) -> list[Segment]:
    """One 837P transaction set: claims grouped under their billing provider and subscriber."""
    body: list[Segment] = [
        ["837"],
        ["BHT", "0019", "00", f"{created:%Y%m%d%H%M%S}", f"{created:%Y%m%d}", f"{created:%H%M}", "CH"],
        ["NM1", "41", "2", "CLAIMGUARD SYNTHETIC BILLING", "", "", "", "", "46", submitter],
        ["PER", "IC", "BILLING OFFICE", "TE", "5125550100"],
        ["NM1", "40", "2", "SYNTHETIC CLEARINGHOUSE", "", "", "", "", "46", "CLEARINGHOUSE"],
    ]  # fmt: skip
    hl = billing_hl = 0
    billing_key: tuple[str, str, str] | None = None
    subscriber_key: tuple[str, str, str] | None = None
    # As a practice's system sends them: one HL per billing provider, one per subscriber
    # (and payer) under it, and that subscriber's claims together.
    ordered = sorted(
        claims, key=lambda c: (c.billing.id, c.billing.state, c.tax_id, c.subscriber.id, c.payer.id)
    )
    for claim in ordered:
        b = claim.billing
        if (b.id, b.state, claim.tax_id) != billing_key:
            billing_key, subscriber_key = (b.id, b.state, claim.tax_id), None
            hl += 1
            billing_hl = hl
            body += [
                ["HL", str(billing_hl), "", "20", "1"],
                ["PRV", "BI", "PXC", b.taxonomy] if b.taxonomy else [],
                ["NM1", "85", "1", text(b.last), text(b.first), "", "", "", "XX", b.id],
                ["N3", b.address],
                ["N4", b.city, b.state, b.zip],
                ["REF", "EI", claim.tax_id],
            ]
        s = claim.subscriber
        if (s.id, claim.payer.id, claim.filing_indicator) != subscriber_key:
            subscriber_key = (s.id, claim.payer.id, claim.filing_indicator)
            hl += 1
            body += [
                ["HL", str(hl), str(billing_hl), "22", "0"],
                ["SBR", "P", "18", "", "", "", "", "", "", claim.filing_indicator],
                ["NM1", "IL", "1", text(s.last), text(s.first), "", "", "", "MI", s.id],
                ["N3", s.address],
                ["N4", s.city, s.state, s.zip],
                ["DMG", "D8", f"{s.birth_date:%Y%m%d}" if s.birth_date else "", s.sex],
                ["NM1", "PR", "2", text(claim.payer.last), "", "", "", "", "PI", claim.payer.id],
            ]
        body += _claim_segments(claim)
    return [seg for seg in body if seg]


def _claim_segments(claim: Claim) -> list[Segment]:
    out: list[Segment] = [
        ["CLM", claim.claim_id, money(claim.total), "", "",
         f"{claim.place_of_service}:B:{claim.frequency}", "Y", "A", "Y", "Y"],
    ]  # fmt: skip
    if claim.payer_claim_control_number:
        out.append(["REF", "F8", claim.payer_claim_control_number])
    if claim.referral:
        out.append(["REF", "9F", claim.referral])
    if claim.prior_auth:
        out.append(["REF", "G1", claim.prior_auth])
    codes = [c.replace(".", "") for c in claim.diagnoses]
    out.append(["HI", f"ABK:{codes[0]}", *(f"ABF:{c}" for c in codes[1:12])])
    if claim.rendering is not None:
        r = claim.rendering
        out.append(["NM1", "82", "1", text(r.last), text(r.first), "", "", "", "XX", r.id])
        if r.taxonomy:
            out.append(["PRV", "PE", "PXC", r.taxonomy])
    if claim.facility is not None:
        f = claim.facility
        out += [
            ["NM1", "77", "2", text(f.last), "", "", "", "", "XX", f.id],
            ["N3", f.address],
            ["N4", f.city, f.state, f.zip],
        ]
    if claim.prior_payer is not None:
        o = claim.prior_payer
        out += [
            ["SBR", "P", "18", "", "", "", "", "", "", o.filing_indicator],
            ["AMT", "D", money(o.paid)],
            ["OI", "", "", "Y", "", "", "Y"],
            ["NM1", "IL", "1", text(o.subscriber.last), text(o.subscriber.first), "", "", "",
             "MI", o.subscriber.id],
            ["NM1", "PR", "2", text(o.payer.last), "", "", "", "", "PI", o.payer.id],
        ]  # fmt: skip
    for line in claim.lines:
        composite = ":".join(["HC", line.code, *line.modifiers])
        pointers = ":".join(str(p) for p in line.pointers)
        out += [
            ["LX", str(line.number)],
            ["SV1", composite, money(line.charge), "UN", money(line.units),
             line.place_of_service or "", "", pointers],
            ["DTP", "472", "D8", f"{line.service_date:%Y%m%d}"],
        ]  # fmt: skip
        if line.prior_auth:
            out.append(["REF", "G1", line.prior_auth])
        if line.control_number:
            out.append(["REF", "6R", line.control_number])
    return out


# ---------------------------------------------------------------- 835


@dataclass
class Cas:
    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class PaidLine:
    code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    units: Decimal
    service_date: dt.date
    adjustments: list[Cas] = field(default_factory=list)
    control_number: str | None = None
    allowed: Decimal | None = None
    remarks: list[str] = field(default_factory=list)
    original_code: str | None = None


@dataclass
class PaidClaim:
    control_number: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    filing_indicator: str
    payer_claim_number: str
    patient: Person
    lines: list[PaidLine]
    adjustments: list[Cas] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # MOA03-07 (e.g. MA15 on a split claim)


@dataclass
class Plb:
    provider: str
    period_end: dt.date
    reason: str
    reference: str
    amount: Decimal


@dataclass
class Payment:
    payer: Person  # last = name, id = payer id
    payee: Person  # last = name, id = NPI
    trace: str
    paid_on: dt.date
    claims: list[PaidClaim]
    adjustments: list[Plb] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((c.paid for c in self.claims), Decimal(0)) - sum(
            (p.amount for p in self.adjustments), Decimal(0)
        )


def _cas(level: Sequence[Cas]) -> list[Segment]:
    """CAS segments: one per group, up to six reason/amount/quantity triplets each."""
    out: list[Segment] = []
    groups: dict[str, list[Cas]] = {}
    for cas in level:
        groups.setdefault(cas.group, []).append(cas)
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            seg = ["CAS", group]
            for cas in items[start : start + 6]:
                seg += [cas.reason, money(cas.amount), money(cas.quantity) if cas.quantity else ""]
            out.append(seg)
    return out


def payment_set(payment: Payment) -> list[Segment]:
    total = payment.total
    method = "ACH" if total > 0 else "NON"
    bpr = ["BPR", "I" if total > 0 else "H", money(total), "C", method]
    if total > 0:
        bpr += ["CCP", "01", "999999999", "DA", "123456", "1512345678", "", "01", "999988880",
                "DA", "98765"]  # fmt: skip
    else:
        bpr += [""] * 11  # BPR05-15 unused when nothing is paid; BPR16 the date
    bpr.append(f"{payment.paid_on:%Y%m%d}")
    body: list[Segment] = [
        ["835"],
        bpr,
        ["TRN", "1", payment.trace, "1" + payment.payer.id.rjust(9, "0")[:9]],
        ["DTM", "405", f"{payment.paid_on:%Y%m%d}"],
        ["N1", "PR", text(payment.payer.last), "XV", payment.payer.id],
        ["N3", payment.payer.address],
        ["N4", payment.payer.city, payment.payer.state, payment.payer.zip],
        ["PER", "BL", "PROVIDER SERVICES", "TE", "8005550199"],
        ["N1", "PE", text(payment.payee.last), "XX", payment.payee.id],
        ["LX", "1"],
    ]
    for claim in payment.claims:
        body += _paid_claim(claim)
    for plb in payment.adjustments:
        body.append(
            ["PLB", plb.provider, f"{plb.period_end:%Y%m%d}", f"{plb.reason}:{plb.reference}",
             money(plb.amount)]
        )  # fmt: skip
    return body


def _paid_claim(claim: PaidClaim) -> list[Segment]:
    p = claim.patient
    out: list[Segment] = [
        ["CLP", claim.control_number, claim.status, money(claim.charge), money(claim.paid),
         money(claim.patient_responsibility) if claim.patient_responsibility else "",
         claim.filing_indicator, claim.payer_claim_number],
    ]  # fmt: skip
    out += _cas(claim.adjustments)
    out.append(["NM1", "QC", "1", text(p.last), text(p.first), "", "", "", "MI", p.id])
    if claim.remarks:
        out.append(["MOA", "", "", *claim.remarks[:5]])
    for line in claim.lines:
        composite = ":".join(["HC", line.code, *line.modifiers])
        original = ":".join(["HC", line.original_code]) if line.original_code else ""
        out.append(
            [
                "SVC",
                composite,
                money(line.charge),
                money(line.paid),
                "",
                money(line.units),
                original,
            ]
        )
        out.append(["DTM", "472", f"{line.service_date:%Y%m%d}"])
        out += _cas(line.adjustments)
        if line.control_number:
            out.append(["REF", "6R", line.control_number])
        if line.allowed is not None:
            out.append(["AMT", "B6", money(line.allowed)])
        for remark in line.remarks:
            out.append(["LQ", "HE", remark])
    return out
