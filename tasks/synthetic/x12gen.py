"""Turn a generated packet folder into what practices and payers exchange: 837P claims and 835s.

`write_claims` moves the claims out of the JSON packets into 837P files, one per week (the
sessions and notes stay in JSON: intake links each claim to its session). `write_remittances`
pays the clean claims in 835s, one payment per payer and month of service, with payment
problems planted at known rates and written to ground-truth/remittance_truth.csv:

  underpaid        allowed a few dollars below the contract          -> underpaid
  wrong_fee_tier   allowed at the 75 % (or facility) tier            -> underpaid
  denied           the line denied with a CARC (category from the CARC table) -> denied
  reversal         paid, reversed (CLP02 22), paid again correctly   -> paid_correctly
  truncated_control_number  CLP01 cut short by the payer             -> paid_correctly
  dropped_modifiers         SVC01 echoed without its modifiers       -> paid_correctly
  recoded          SVC01 changed, SVC06 carries the billed code      -> paid_correctly
  unmatched        a CLP for a claim that is not ours                 -> unmatched
  duplicate        a payment file sent twice (same trace number)     -> duplicate
  persistent_underpayment  one payer pays one code 10 % under, every month -> underpaid

The correct payment is the contract's expected allowed amount (rules.audit) less the
patient's share, and Medicare's 2 % sequestration (CARC 253).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, ClassVar, TextIO

from pydantic import ValidationError

from rules import audit
from rules import records as r
from rules.context import Lookups, assemble
from rules.loader import default_rule_set
from rules.tables import Tables
from tasks.intake.reader import KEY_FIELDS
from tasks.x12 import write as w

CENT = Decimal("0.01")
SEQUESTRATION = Decimal("0.02")
FILING = {
    "medicare": "MB",
    "medicaid_managed_care": "MC",
    "medicare_advantage": "16",
    "commercial": "CI",
    "bh_carveout": "CI",
}
# CLP06 takes its own code list (no CI): commercial plans are reported as PPO (12).
CLAIM_FILING_835 = {"MB": "MB", "MC": "MC", "16": "16", "CI": "12"}
PAYMENT_PROBLEMS: dict[str, float] = {
    "underpaid": 0.04,
    "wrong_fee_tier": 0.02,
    "denied": 0.04,
    "reversal": 0.02,
    "truncated_control_number": 0.03,
    "dropped_modifiers": 0.03,
    "recoded": 0.01,
    "split_payment": 0.02,  # two CLPs marked MA15, the second in a later 835
}
DENIAL_CARCS = ("197", "50", "4", "16", "96", "29", "109")
CLAIMS_PER_SET = 2000
NO_LCN_ECHO = 0.3  # payers that do not echo REF*6R: lines are then matched by code and date


@dataclass
class Book:
    """Master data and people read so far, to fill the X12 parties."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # Master data and people, keyed as the packet keys them.
    keys: ClassVar[dict[str, str]] = {
        kind: KEY_FIELDS[kind]
        for kind in ("payer", "plan", "location", "provider", "patient", "coverage")
    }

    def add(self, record: dict[str, Any]) -> None:
        key = self.keys.get(record["type"])
        if key is not None:
            self.records[record["type"]][record[key]] = record

    def get(self, kind: str, key: str) -> dict[str, Any]:
        return self.records[kind][key]

    def knows(self, claim: dict[str, Any]) -> bool:
        """Everything the claim refers to is on file (a planted dangling reference is not)."""
        refs = (
            ("payer", claim.get("payer_id")),
            ("patient", claim.get("patient_id")),
            ("coverage", claim.get("coverage_id")),
            ("provider", claim.get("rendering_npi")),
            ("location", claim.get("location_id")),
        )
        return all(key in self.records[kind] for kind, key in refs)


def _packet_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    value = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue  # a planted malformed record stays where it is
                if isinstance(value, dict) and isinstance(value.get("type"), str):
                    yield value


# ---------------------------------------------------------------- 837P


def write_claims(folder: Path, *, seed: int) -> list[Path]:
    """Move every claim out of the packet files into one 837P per week of claims; returns them.

    Within a file, one transaction set per claim date (BHT04 carries it) of at most
    CLAIMS_PER_SET claims. Files are written set by set, so memory stays flat.
    """
    book = Book()
    written: list[Path] = []
    writer: w.InterchangeWriter | None = None
    handle: TextIO | None = None
    week = ""
    for path in _packet_files(folder):
        kept: list[bytes] = []
        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with path.open("rb") as source:
            lines = source.readlines()
        for line in lines:
            record = _claim_to_move(line, book)
            if record is None:
                kept.append(line)
                continue
            day = dt.date.fromisoformat(record["lines"][0]["service_date"])
            this_week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
            if this_week != week:
                _flush(writer, pending, book)
                if writer is not None and handle is not None:
                    writer.close()
                    handle.close()
                week = this_week
                target = folder / f"claims-{week}.837"
                handle = target.open("w")
                writer = w.InterchangeWriter(handle, "CLAIMGUARD", "CLEARINGHOUSE", seed * 1000 + len(written) + 1,
                                             dt.datetime(2026, 1, 1, 12), "HC", "005010X222A1")  # fmt: skip
                written.append(target)
            pending[record["claim_date"]].append(record)
            if len(pending[record["claim_date"]]) >= CLAIMS_PER_SET:
                assert writer is not None
                writer.add(_claim_set(pending.pop(record["claim_date"]), book))
        _flush(writer, pending, book)
        path.write_bytes(b"".join(kept))
    if writer is not None and handle is not None:
        writer.close()
        handle.close()
    return written


def _claim_to_move(line: bytes, book: Book) -> dict[str, Any] | None:
    """The claim on this packet line if it moves to an 837P; master data is remembered."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("type"), str):
        return None
    if record["type"] != "claim":
        book.add(record)
        return None
    return record if _complete(record) and book.knows(record) else None


def _flush(
    writer: w.InterchangeWriter | None, pending: dict[str, list[dict[str, Any]]], book: Book
) -> None:
    if writer is not None:
        for batch in pending.values():
            if batch:
                writer.add(_claim_set(batch, book))
    pending.clear()


def _complete(record: dict[str, Any]) -> bool:
    """A claim that validates; the broken claims planted for the JSON quarantine stay JSON."""
    try:
        r.Claim.model_validate({k: v for k, v in record.items() if k != "format"})
    except ValidationError:
        return False
    return True


def _claim_set(claims: list[dict[str, Any]], book: Book) -> list[w.Segment]:
    created = dt.datetime.fromisoformat(claims[0]["claim_date"]).replace(hour=9)
    return w.claim_set((_x12_claim(c, book) for c in claims), "CLAIMGUARD", created)


def _person(patient: dict[str, Any], member_id: str = "") -> w.Person:
    return w.Person(
        patient["last_name"].upper(),
        patient["first_name"].upper(),
        member_id,
        dt.date.fromisoformat(patient["birth_date"]),
        patient.get("sex", "U"),
    )


def _x12_claim(claim: dict[str, Any], book: Book) -> w.Claim:
    provider = book.get("provider", claim["rendering_npi"])
    location = book.get("location", claim["location_id"])
    payer = book.get("payer", claim["payer_id"])
    coverage = book.get("coverage", claim["coverage_id"])
    billing = w.Person(
        provider["last_name"].upper(), provider["first_name"].upper(), claim["billing_npi"],
        state=location["state"], taxonomy=provider["taxonomy"],
    )  # fmt: skip
    rendering = w.Person(
        provider["last_name"].upper(), provider["first_name"].upper(), claim["rendering_npi"],
        taxonomy=provider["taxonomy"],
    )  # fmt: skip
    facility = w.Person(location["name"].upper()[:60], id=location["npi"], state=location["state"])
    lines = [
        w.Line(
            ln["line_number"], ln["procedure_code"], list(ln.get("modifiers", [])),
            Decimal(ln["charge"]), Decimal(ln["units"]), list(ln["diagnosis_pointers"]),
            dt.date.fromisoformat(ln["service_date"]), ln.get("place_of_service"),
            ln.get("line_control_number"), ln.get("prior_auth_number"),
        )
        for ln in claim["lines"]
    ]  # fmt: skip
    return w.Claim(
        claim_id=claim["claim_id"],
        total=sum((ln.charge for ln in lines), Decimal(0)),
        place_of_service=claim["place_of_service"],
        frequency=claim.get("frequency_code", "1"),
        diagnoses=claim["diagnoses"],
        billing=billing,
        subscriber=_person(book.get("patient", claim["patient_id"]), coverage["member_id"]),
        payer=w.Person(payer["name"].upper()[:60], id=payer["payer_id"]),
        filing_indicator=FILING.get(payer["kind"], "CI"),
        rendering=rendering,
        facility=facility,
        lines=lines,
        prior_auth=claim.get("prior_auth_number"),
        referral=claim.get("referral_number"),
        payer_claim_control_number=claim.get("payer_claim_control_number"),
        prior_payer=_prior_payer(claim, book),
    )


def _prior_payer(claim: dict[str, Any], book: Book) -> w.OtherPayer | None:
    """A claim to a later payer carries the first payer's payment (2320/2330B)."""
    if not claim.get("prior_payer_id"):
        return None
    payer = book.get("payer", claim["prior_payer_id"])
    patient = book.get("patient", claim["patient_id"])
    return w.OtherPayer(
        w.Person(payer["name"].upper()[:60], id=payer["payer_id"]),
        _person(patient, f"MCR{claim['patient_id'][-6:]}"),
        Decimal(claim["prior_payer_paid"]),
        FILING.get(payer["kind"], "CI"),
    )


# ---------------------------------------------------------------- 835


@dataclass
class TruthRow:
    claim_id: str
    line_number: int | None
    problem: str
    expected: str  # paid_correctly | underpaid | denied | unmatched | duplicate | no_contract
    detail: str = ""


@dataclass
class _Payer835:
    payer: dict[str, Any]
    date: dt.date
    claims: list[w.PaidClaim] = field(default_factory=list)
    later: list[w.PaidClaim] = field(default_factory=list)  # reversals and re-payments


def write_remittances(
    folder: Path,
    *,
    seed: int,
    rates: dict[str, float] | None = None,
    duplicate_files: int = 1,
    underpayer: tuple[str, str] | None = None,
    underpayer_rate: float = 0.6,
    one_file: bool = False,
    pay_held: bool = False,
) -> list[Path]:
    """Pay every clean claim of the packet folder in 835s (run before write_claims); returns the files.

    One payment per payer and month of service. `underpayer` (payer id, code) plants a
    payer that pays that code 10 % under contract on `underpayer_rate` of its otherwise
    correct claims, month after month: what the persistent-underpayer alarm is for.
    """
    rates = PAYMENT_PROBLEMS if rates is None else rates
    tables = default_rule_set().tables  # the shipped fee schedules: what the sample payers pay
    held = set() if pay_held else _planted(folder)
    book = Book()
    payments: dict[tuple[str, str], _Payer835] = {}
    truth: list[TruthRow] = []
    for record in _all_records(folder):
        if record.get("type") != "claim":
            book.add(record)
            continue
        if record["claim_id"] in held or not _complete(record) or not book.knows(record):
            continue
        if record.get("frequency_code") == "8":
            continue  # a void asks the payer to take a claim back: nothing is paid on it
        rng = random.Random(f"{seed}:pay:{record['claim_id']}")
        served = dt.date.fromisoformat(record["lines"][0]["service_date"])
        key = (record["payer_id"], f"{served:%Y-%m}")
        if key not in payments:
            payments[key] = _Payer835(book.get("payer", record["payer_id"]), served)
        batch = payments[key]
        batch.date = max(batch.date, served)
        persistent = underpayer if underpayer and underpayer[0] == record["payer_id"] else None
        _pay(record, book, tables, rng, rates, batch, truth, persistent, underpayer_rate)
    files = _write_835s(folder, payments, seed, truth, duplicate_files, one_file)
    _write_truth(folder, truth)
    return files


def _planted(folder: Path) -> set[str]:
    path = folder / "ground-truth" / "ground_truth.csv"
    if not path.exists():
        return set()
    with path.open() as handle:
        return {row["claim_id"] for row in csv.DictReader(handle)}


def _all_records(folder: Path) -> Iterator[dict[str, Any]]:
    # Remittances are written from the JSON packets, before write_claims moves claims to 837s.
    for path in _packet_files(folder):
        yield from _read(path)


def _context_claim(record: dict[str, Any], book: Book) -> tuple[r.Claim, dict[str, Any], str]:
    """The claim as a record for the fee arithmetic, its patient record, and its member id."""
    claim = r.Claim.model_validate({k: v for k, v in record.items() if k != "format"})
    coverage = book.get("coverage", record["coverage_id"])
    return claim, book.get("patient", claim.patient_id), coverage["member_id"]


def _pay(
    record: dict[str, Any],
    book: Book,
    tables: Tables,
    rng: random.Random,
    rates: dict[str, float],
    target: _Payer835,
    truth: list[TruthRow],
    persistent: tuple[str, str] | None = None,
    persistent_rate: float = 0.0,
) -> None:
    claim, patient, member = _context_claim(record, book)
    look = Lookups(
        payers={
            k: r.Payer.model_validate(v)
            for k, v in book.records["payer"].items()
            if k == claim.payer_id
        },
        plans={k: r.Plan.model_validate(v) for k, v in book.records["plan"].items()},
        locations={
            claim.location_id: r.Location.model_validate(book.get("location", claim.location_id))
        },
        providers={
            claim.rendering_npi: r.Provider.model_validate(
                book.get("provider", claim.rendering_npi)
            )
        },
        patients={claim.patient_id: r.Patient.model_validate(patient)},
        coverage={
            claim.coverage_id: r.Coverage.model_validate(book.get("coverage", claim.coverage_id))
        },
    )
    ctx = assemble(claim, look)
    problem = _choose(rng, rates, claim)
    if (
        problem == "none"
        and persistent is not None
        and any(ln.procedure_code == persistent[1] for ln in claim.lines)
        and rng.random() < persistent_rate
    ):
        problem = f"persistent_underpayment:{persistent[1]}"
    echo_lcn = rng.random() >= NO_LCN_ECHO
    priced = [_pay_line(ctx, tables, line, problem, rng, echo_lcn) for line in claim.lines]
    lines = [line for line in priced if line is not None]
    if len(lines) < len(priced):
        truth.append(TruthRow(claim.claim_id, None, "none", "no_contract"))
        return
    paid_lines = [pl for pl, _ in lines]
    control = claim.claim_id
    if problem == "truncated_control_number":
        control = claim.claim_id[: max(8, len(claim.claim_id) - 4)]
    status = "4" if problem == "denied" and len(paid_lines) == 1 else "1"
    icn = f"ICN{rng.randrange(10**10, 10**11)}"
    paid = _claim(
        control,
        status,
        paid_lines,
        CLAIM_FILING_835[FILING.get(target.payer["kind"], "CI")],
        icn,
        patient,
        member,
    )
    if problem == "split_payment":
        first, rest = _split(paid)
        target.claims.append(first)
        target.later.append(rest)
    else:
        target.claims.append(paid)
    for line, (_, outcome) in zip(claim.lines, lines, strict=True):
        truth.append(TruthRow(claim.claim_id, line.line_number, problem.split(":")[0], outcome))
    if problem == "reversal":
        target.later.append(_reversed(paid))
        again = _claim(
            control,
            "1",
            paid_lines,
            paid.filing_indicator,
            f"ICN{rng.randrange(10**10, 10**11)}",
            patient,
            member,
        )
        target.later.append(again)


def _choose(rng: random.Random, rates: dict[str, float], claim: r.Claim) -> str:
    roll = rng.random()
    for name, rate in rates.items():
        if roll < rate:
            if name == "dropped_modifiers" and not any(ln.modifiers for ln in claim.lines):
                return "none"
            if name == "split_payment" and len(claim.lines) < 2:
                return "none"
            return name
        roll -= rate
    return "none"


def _pay_line(
    ctx: Any,
    tables: Tables,
    line: r.ClaimLine,
    problem: str,
    rng: random.Random,
    echo_lcn: bool = True,
) -> tuple[w.PaidLine, str] | None:
    expected = audit.expected_allowed(ctx, tables, line)
    control = line.line_control_number if echo_lcn else None
    if expected is None:
        return None
    charge = line.charge
    mods = list(line.modifiers)
    code, original = line.procedure_code, None
    if problem == "dropped_modifiers":
        mods = []
    elif problem == "recoded":
        code, original = (
            ("90849" if line.procedure_code == "90853" else "90853"),
            line.procedure_code,
        )
    if problem == "denied":
        carc = rng.choice(DENIAL_CARCS)
        cas = [w.Cas("CO", carc, charge)]
        return w.PaidLine(code, mods, charge, Decimal(0), line.units, line.service_date, cas,
                          control, None, ["N130"] if carc == "96" else [], original), "denied"  # fmt: skip
    allowed, outcome = expected.amount, "paid_correctly"
    if problem == f"persistent_underpayment:{line.procedure_code}":
        allowed = (allowed * Decimal("0.90")).quantize(CENT, ROUND_HALF_UP)
        outcome = "underpaid"
    elif problem == "underpaid":
        allowed = max(Decimal("1.00"), allowed - Decimal(rng.randint(300, 1200)) / 100)
        outcome = "underpaid"
    elif problem == "wrong_fee_tier":
        allowed = (allowed * Decimal("0.75")).quantize(CENT, ROUND_HALF_UP)
        outcome = "underpaid"
    allowed = min(allowed, charge)
    patient = audit.expected_patient_share(ctx, allowed) or Decimal(0)
    patient = min(patient, allowed)
    sequestration = Decimal(0)
    if ctx.payer is not None and ctx.payer.kind.value == "medicare":
        sequestration = ((allowed - patient) * SEQUESTRATION).quantize(CENT, ROUND_HALF_UP)
    paid = allowed - patient - sequestration
    cas = []
    if charge - allowed:
        cas.append(w.Cas("CO", "45", charge - allowed))
    if sequestration:
        cas.append(w.Cas("CO", "253", sequestration))
    if patient:
        cas.append(w.Cas("PR", "3" if ctx.coverage and ctx.coverage.copay else "2", patient))
    return (
        w.PaidLine(code, mods, charge, paid, line.units, line.service_date, cas,
                   control, allowed, [], original),
        outcome,
    )  # fmt: skip


def _claim(
    control: str, status: str, lines: list[w.PaidLine], filing: str, icn: str,
    patient: dict[str, Any], member: str,
) -> w.PaidClaim:  # fmt: skip
    return w.PaidClaim(
        control_number=control,
        status=status,
        charge=sum((ln.charge for ln in lines), Decimal(0)),
        paid=sum((ln.paid for ln in lines), Decimal(0)),
        patient_responsibility=sum(
            (c.amount for ln in lines for c in ln.adjustments if c.group == "PR"), Decimal(0)
        ),
        filing_indicator=filing,
        payer_claim_number=icn,
        patient=_person(patient, member),
        lines=lines,
    )


def _split(paid: w.PaidClaim) -> tuple[w.PaidClaim, w.PaidClaim]:
    """The claim paid in two parts, each marked MA15: the first line now, the rest later."""

    def part(lines: list[w.PaidLine]) -> w.PaidClaim:
        return w.PaidClaim(
            paid.control_number, paid.status,
            sum((ln.charge for ln in lines), Decimal(0)), sum((ln.paid for ln in lines), Decimal(0)),
            sum((c.amount for ln in lines for c in ln.adjustments if c.group == "PR"), Decimal(0)),
            paid.filing_indicator, paid.payer_claim_number, paid.patient, lines, remarks=["MA15"],
        )  # fmt: skip

    return part(paid.lines[:1]), part(paid.lines[1:])


def _reversed(paid: w.PaidClaim) -> w.PaidClaim:
    """CLP02 22: the earlier payment taken back, every amount negated."""
    lines = [
        w.PaidLine(
            ln.code, ln.modifiers, -ln.charge, -ln.paid, ln.units, ln.service_date,
            [w.Cas(c.group, c.reason, -c.amount) for c in ln.adjustments], ln.control_number,
            None, [], ln.original_code,
        )
        for ln in paid.lines
    ]  # fmt: skip
    return w.PaidClaim(
        paid.control_number, "22", -paid.charge, -paid.paid, -paid.patient_responsibility,
        paid.filing_indicator, paid.payer_claim_number, paid.patient, lines,
    )  # fmt: skip


def _write_835s(
    folder: Path,
    payments: dict[tuple[str, str], _Payer835],
    seed: int,
    truth: list[TruthRow],
    duplicate_files: int,
    one_file: bool = False,
) -> list[Path]:
    """One 835 per payer and month, or (`one_file`) every payment as a set of one file."""
    files: list[Path] = []
    batched: list[list[w.Segment]] = []
    payee = w.Person("CLAIMGUARD SYNTHETIC PRACTICE", id="1234567893")
    for number, ((payer_id, month), batch) in enumerate(sorted(payments.items()), start=1):
        payer = w.Person(batch.payer["name"].upper()[:60], id=payer_id)
        paid_on = batch.date + dt.timedelta(days=14)
        rng = random.Random(f"{seed}:835:{payer_id}:{month}")
        claims = list(batch.claims)
        stranger = f"EXT{rng.randrange(10**8, 10**9)}"
        claims.append(_stranger(stranger, rng))
        truth.append(TruthRow(stranger, None, "unmatched", "unmatched", "a claim that is not ours"))
        sets = [
            w.payment_set(
                w.Payment(
                    payer,
                    payee,
                    f"{payer_id.upper()[:12]}{month.replace('-', '')}{number:04d}",
                    paid_on,
                    claims,
                )
            )
        ]
        if batch.later:
            trace = f"{payer_id.upper()[:12]}{month.replace('-', '')}{number:04d}R"
            plb = [w.Plb(payee.id, paid_on, "L6", "INTEREST", Decimal("-1.25"))]
            sets.append(
                w.payment_set(
                    w.Payment(payer, payee, trace, paid_on + dt.timedelta(days=7), batch.later, plb)
                )
            )
        if one_file:
            batched += sets
            continue
        files.append(
            _write_remit(
                folder / f"remit-{payer_id}-{month}.835", sets, payer_id, seed * 1000 + number
            )
        )
    if one_file:
        files.append(_write_remit(folder / "remit-all.835", batched, "CLEARINGHOUSE", seed * 1000))
    for original in files[:duplicate_files]:
        copy = original.with_name(f"resent-{original.name}")
        copy.write_bytes(original.read_bytes())
        truth.append(TruthRow(copy.name, None, "duplicate", "duplicate", f"resent {original.name}"))
        files.append(copy)
    return files


def _write_remit(path: Path, sets: list[list[w.Segment]], sender: str, control: int) -> Path:
    return w.write_interchange(
        path,
        sets,
        sender=sender.upper()[:15],
        receiver="CLAIMGUARD",
        control=control,
        created=dt.datetime(2026, 1, 1, 8),
        functional_id="HP",
        version="005010X221A1",
    )


def _stranger(control: str, rng: random.Random) -> w.PaidClaim:
    charge = Decimal("120.00")
    line = w.PaidLine("90834", [], charge, Decimal("80.00"), Decimal(1), dt.date(2026, 11, 2),
                      [w.Cas("CO", "45", Decimal("40.00"))], None, Decimal("80.00"))  # fmt: skip
    person = w.Person("UNKNOWN", "PATIENT", f"X{rng.randrange(10**8, 10**9)}")
    return w.PaidClaim(
        control, "1", charge, Decimal("80.00"), Decimal(0), "12", "ICN0", person, [line]
    )


def _write_truth(folder: Path, truth: list[TruthRow]) -> None:
    target = folder / "ground-truth"
    target.mkdir(exist_ok=True)
    with (target / "remittance_truth.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["claim_id", "line_number", "problem", "expected", "detail"])
        for row in truth:
            out.writerow(
                [row.claim_id, row.line_number or "", row.problem, row.expected, row.detail]
            )
