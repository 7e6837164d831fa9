"""Write the bad-input corpus: each case a file, and cases.yaml with what must happen to it.

    python tests/corpus/make_corpus.py        (from the project root; rewrites the corpus)

Every file is synthetic. A JSON case is the valid base day (tests/builders.py) plus one bad
record; an X12 case is a valid 837P or 835 written by ClaimGuard's writer with one fault.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tasks.x12 import write as w  # noqa: E402
from tests import builders as b  # noqa: E402

HERE = Path(__file__).parent
DAY = dt.date(2026, 11, 2)
CASES: list[dict[str, Any]] = []


def case(name: str, data: bytes, via: str, **expect: Any) -> None:
    folder = {"claims": "json" if name.endswith((".jsonl", ".json")) else "x12", "remits": "x12"}[
        via
    ]
    path = HERE / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    CASES.append({"file": f"{folder}/{name}", "via": via, **expect})


def lines(*records: dict[str, Any] | bytes) -> bytes:
    out = []
    for record in records:
        out.append(record if isinstance(record, bytes) else json.dumps(record).encode())
    return b"\n".join(out) + b"\n"


BASE = [*b.master(), b.session(), b.note(1)]


def json_cases() -> None:
    good = b.claim(1)
    bad: list[tuple[str, dict[str, Any] | bytes, str]] = [
        ("truncated-record.jsonl", json.dumps(good).encode()[:-40], "malformed JSON"),
        ("not-utf8.jsonl", json.dumps(good).encode().replace(b"CL-1", b"CL-\xff1"), "not UTF-8"),
        ("utf16.jsonl", json.dumps(good).encode("utf-16"), "not UTF-8"),
        ("array-not-object.jsonl", b"[1, 2, 3]", "a JSON object"),
        (
            "nan-charge.jsonl",
            json.dumps(good).encode().replace(b'"95.00"', b"NaN"),
            "malformed JSON",
        ),
        ("huge-charge.jsonl", b.with_change(good, "lines.0.charge", "1e308"), "lines[1].charge"),
        (
            "huge-units.jsonl",
            b.with_change(good, "lines.0.units", "100000000000"),
            "lines[1].units",
        ),
        (
            "negative-charge.jsonl",
            b.with_change(good, "lines.0.charge", "-95.00"),
            "lines[1].charge",
        ),
        (
            "impossible-date.jsonl",
            b.with_change(good, "lines.0.service_date", "2026-02-30"),
            "service_date",
        ),
        (
            "date-before-icd10.jsonl",
            b.with_change(good, "lines.0.service_date", "1999-01-01"),
            "service_date",
        ),
        ("date-far-future.jsonl", b.with_change(good, "claim_date", "3026-11-03"), "claim_date"),
        ("unknown-icd10.jsonl", b.with_change(good, "diagnoses", ["F99.99"]), "diagnoses[1]"),
        ("icd10-category.jsonl", b.with_change(good, "diagnoses", ["F33"]), "not billable"),
        (
            "unknown-code-shape.jsonl",
            b.with_change(good, "lines.0.procedure_code", "9085X"),
            "procedure_code",
        ),
        ("bad-modifier.jsonl", b.with_change(good, "lines.0.modifiers", ["9Q5"]), "modifiers"),
        (
            "pointer-out-of-range.jsonl",
            b.with_change(good, "lines.0.diagnosis_pointers", [4]),
            "diagnosis pointers",
        ),
        ("no-lines.jsonl", b.with_change(good, "lines", []), "lines"),
        ("unknown-type.jsonl", {**good, "type": "invoice"}, "type"),
        ("wrong-format.jsonl", {**good, "format": "claimguard.packet/9"}, "format"),
        ("unknown-field.jsonl", {**good, "surprise": "<script>alert(1)</script>"}, "no such field"),
        ("missing-patient.jsonl", b.with_change(good, "patient_id", ...), "patient_id"),
        (
            "dangling-coverage.jsonl",
            b.with_change(good, "coverage_id", "COV-NOWHERE"),
            "not loaded",
        ),
        (
            "formula-claim-id.jsonl",
            b.with_change(good, "claim_id", "=cmd|' /C calc'!A0"),
            "claim_id",
        ),
        (
            "sql-claim-id.jsonl",
            b.with_change(good, "claim_id", "CL-1'; DROP TABLE claim;--"),
            "claim_id",
        ),
        ("control-char-in-id.jsonl", b.with_change(good, "claim_id", "CL-\u00071"), "claim_id"),
        (
            "bad-npi-check-digit.jsonl",
            b.with_change(good, "rendering_npi", "1234567890"),
            "rendering_npi",
        ),
        ("string-for-number.jsonl", b.with_change(good, "lines.0.units", "one"), "units"),
        (
            "deeply-nested-field.jsonl",
            {**good, "lines": [{"a": [[[[[[[[[[[]]]]]]]]]]]}]},
            "lines[1]",
        ),
        (
            "conflicting-claim.jsonl",
            b.with_change(good, "lines.0.charge", "500.00"),
            "different content",
        ),
    ]
    for name, record, reason in bad:
        extra = [good] if name == "conflicting-claim.jsonl" else []
        case(name, lines(*BASE, *extra, record), "claims", quarantined=1, reason=reason)
    # Handled without a quarantine: text that looks like code is only text.
    sql_name = b.with_change(b.patient(1), "last_name", "Robert'); DROP TABLE claim;--")
    case(
        "sql-in-a-name.jsonl",
        lines(*BASE, sql_name, good),
        "claims",
        quarantined=0,
        tables_intact=True,
    )
    html_note = b.with_change(
        b.note(2), "text", "<script>alert('x')</script><img src=x onerror=alert(1)>"
    )
    case("script-in-a-note.jsonl", lines(*BASE, html_note), "claims", quarantined=0)
    case("crlf-line-ends.jsonl", lines(*BASE).replace(b"\n", b"\r\n"), "claims", quarantined=0)
    case("empty.json", b"", "claims", quarantined=1, reason="an empty file")
    case(
        "not-json-at-all.json", b"%PDF-1.4 binary \x00\x01", "claims", quarantined=1, reason="JSON"
    )
    nested = b"[" * 100_000 + b"]" * 100_000
    case("nested-100k-deep.json", nested, "claims", quarantined=1, reason="JSON")
    big = json.dumps(b.with_change(b.note(2), "text", "x" * 1_200_000)).encode()
    case("record-over-1mib.jsonl", lines(*BASE, big), "claims", quarantined=1, reason="at most")
    strict_cases(good)


def strict_cases(good: dict[str, Any]) -> None:
    """Input that parsers read one way and people another: refused, never guessed at."""
    twice = json.dumps(good).replace('"charge": "95.00"', '"charge": "95.00", "charge": "9500.00"')
    case("duplicate-charge.jsonl", lines(*BASE, twice.encode()), "claims", quarantined=1,
         reason="'charge' given twice", loaded_claims=0)  # fmt: skip
    renamed = json.dumps(good).replace(
        '"claim_id": "CL-1"', '"claim_id": "CL-1", "claim_id": "CL-2"'
    )
    case("duplicate-claim-id.jsonl", lines(*BASE, renamed.encode()), "claims", quarantined=1,
         reason="'claim_id' given twice")  # fmt: skip
    for name, path, value, field in [
        (
            "fullwidth-code.jsonl",
            "lines.0.procedure_code",
            "\uff19\uff10\uff18\uff15\uff13",
            "procedure_code",
        ),
        ("arabic-indic-place.jsonl", "place_of_service", "\u0661\u0661", "place_of_service"),
        ("arabic-indic-units.jsonl", "lines.0.units", "\u0663", "lines[1].units"),
        ("fullwidth-npi.jsonl", "rendering_npi", "\uff11234567893", "rendering_npi"),
    ]:
        case(name, lines(*BASE, b.with_change(good, path, value)), "claims", quarantined=1,
             reason=field, loaded_claims=0)  # fmt: skip
    day = lines(*BASE, good)
    case("cr-only-line-ends.jsonl", day.replace(b"\n", b"\r"), "claims", quarantined=1,
         reason="CR alone", loaded_claims=0)  # fmt: skip
    case("utf16-file.jsonl", day.decode().encode("utf-16"), "claims", quarantined=1,
         reason="UTF-16", loaded_claims=0)  # fmt: skip
    case("utf8-bom.jsonl", b"\xef\xbb\xbf" + day, "claims", quarantined=0, loaded_claims=1)
    document = {"records": [*BASE, good]}
    huge = json.dumps(document).replace('"95.00"', "1" + "0" * 5000).encode()
    case("number-5000-digits.json", huge, "claims", quarantined=1, reason="thousands of digits")
    doubled = json.dumps(document).replace(
        '"charge": "95.00"', '"charge": "95.00", "charge": "1.00"'
    )
    case("duplicate-key-in-document.json", doubled.encode(), "claims", quarantined=1,
         reason="'charge' given twice", loaded_claims=0)  # fmt: skip
    long_note = b.with_change(b.note(2), "text", "x" * 1_200_000)
    case("record-over-1mib.json", json.dumps({"records": [*BASE, long_note]}).encode(), "claims",
         quarantined=1, reason="at most")  # fmt: skip


# ---------------------------------------------------------------- X12


def _claim() -> w.Claim:
    person = w.Person("DOE", "SAM", "M123456789", dt.date(1980, 5, 1), "F")
    return w.Claim(
        claim_id="CLX-1", total=Decimal("95"), place_of_service="11", frequency="1",
        diagnoses=["F33.1"], billing=w.Person("LINDQVIST", "ANNIKA", b.NPI, taxonomy="1041C0700X"),
        subscriber=person, payer=w.Person("KEYSTONE PPO", id="keystone"), filing_indicator="CI",
        rendering=w.Person("LINDQVIST", "ANNIKA", b.NPI, taxonomy="1041C0700X"),
        facility=w.Person("AUSTIN CLINIC", id="1245319599", state="TX"),
        lines=[w.Line(1, "90853", [], Decimal("95"), Decimal(1), [1], DAY, control_number="CLX-1-1")],
    )  # fmt: skip


def _837(claims: list[w.Claim] | None = None) -> str:
    from io import StringIO

    out = StringIO()
    writer = w.InterchangeWriter(
        out, "SUBMITTER", "RECEIVER", 101, dt.datetime(2026, 11, 3, 9), "HC", "005010X222A1"
    )
    writer.add(w.claim_set(claims or [_claim()], "SUBMITTER", dt.datetime(2026, 11, 3, 9)))
    writer.close()
    return out.getvalue()


def _payment(trace: str = "TRACE1", **over: Any) -> w.Payment:
    line = w.PaidLine("90853", [], Decimal("95"), Decimal("60"), Decimal(1), DAY,
                      [w.Cas("CO", "45", Decimal("35"))], "CLX-1-1", Decimal("60"), over.pop("remarks", []))  # fmt: skip
    claim = w.PaidClaim(over.pop("control", "CLX-1"), over.pop("status", "1"), Decimal("95"),
                        over.pop("paid", Decimal("60")), Decimal(0), "12", "ICN1",
                        w.Person("DOE", "SAM", "M123456789"), [line])  # fmt: skip
    payer = w.Person(over.pop("payer_name", "KEYSTONE PPO"), id=over.pop("payer_id", "keystone"))
    return w.Payment(payer, w.Person("AUSTIN CLINIC", id=b.NPI), trace, DAY + dt.timedelta(days=14),
                     over.pop("claims", [claim]))  # fmt: skip


def _835(*payments: w.Payment) -> str:
    from io import StringIO

    out = StringIO()
    writer = w.InterchangeWriter(
        out, "KEYSTONE", "CLAIMGUARD", 202, dt.datetime(2026, 11, 20, 8), "HP", "005010X221A1"
    )
    for p in payments or (_payment(),):
        writer.add(w.payment_set(p))
    writer.close()
    return out.getvalue()


def x12_cases() -> None:
    good = _837()
    case("837-valid.837", good.encode(), "claims", quarantined=0, loaded_claims=1)
    faults_837: list[tuple[str, str, str]] = [
        ("837-truncated.837", good[: len(good) // 2], "line"),
        ("837-no-isa.837", good[good.index("GS*") :], "starts with an ISA segment"),
        (
            "837-no-envelope-st-only.837",
            good[good.index("ST*") : good.index("GE*")],
            "starts with an ISA segment",
        ),
        ("837-se-count-wrong.837", good.replace("SE*", "SE*9", 1), "SE"),
        ("837-ge-count-wrong.837", good.replace("GE*1*", "GE*3*"), "GE"),
        ("837-iea-count-wrong.837", good.replace("IEA*1*", "IEA*4*"), "IEA"),
        ("837-iea-control-mismatch.837", good.replace("IEA*1*000000101", "IEA*1*000000999"), "IEA"),
        (
            "837-impossible-date.837",
            good.replace("DTP*472*D8*20261102", "DTP*472*D8*20260230"),
            "DTP",
        ),
        (
            "837-terminator-inside-data.837",
            good.replace("NM1*IL*1*DOE*SAM", "NM1*IL*1*DO~E*SAM"),
            "segment",
        ),
        ("837-unknown-segment.837", good.replace("LX*1~", "LX*1~\nZZZ*1*2~"), "ZZZ"),
        ("837-non-ascii-byte.837", good.replace("DOE*SAM", "DOE*S\u00c4M"), "NM1"),
        ("837-control-char.837", good.replace("DOE*SAM", "DOE*S\x01AM"), "NM1"),
        ("837-letters-in-amount.837", good.replace("SV1*HC:90853*95*", "SV1*HC:90853*9O5*"), "SV1"),
        ("837-unknown-code-shape.837", good.replace("HC:90853", "HC:ABCDE"), "procedure_code"),
        (
            "837-huge-charge.837",
            good.replace("SV1*HC:90853*95*", "SV1*HC:90853*9999999999*").replace(
                "CLM*CLX-1*95*", "CLM*CLX-1*9999999999*"
            ),
            "charge",
        ),
        ("837-minutes-not-units.837", good.replace("*95*UN*1*", "*95*MJ*60*"), "minutes"),
        ("837-icd9.837", good.replace("HI*ABK:F331", "HI*BK:2962"), "ICD-9"),
        ("837-malformed-taxonomy.837", good.replace("1041C0700X", "1041C07"), "PRV03"),
        ("837-wrong-version.837", good.replace("005010X222A1", "004010X098A1"), "837"),
        ("837-an-835-inside.837", _835().encode().decode(), "claimguard remit load"),
    ]
    for name, text, reason in faults_837:
        case(
            name,
            text.encode("latin-1", errors="replace")
            if name != "837-non-ascii-byte.837"
            else text.encode("utf-8"),
            "claims",
            quarantined=1,
            reason=reason,
        )
    isa_pipe = good.replace("*", "|")
    case(
        "837-wrong-delimiters-declared.837",
        isa_pipe.replace("ISA|", "ISA*", 1).encode(),
        "claims",
        quarantined=1,
        reason="",
    )
    two = _837() + _837().replace("SE*", "SE*9", 1)
    case(
        "837-two-interchanges-one-bad.837",
        two.encode(),
        "claims",
        quarantined=1,
        loaded_claims=1,
        reason="SE",
    )
    case("837-empty.837", b"", "claims", quarantined=1, reason="ISA")
    smallest_unit_cases()
    real_world_837_cases()
    # Any well-formed NUCC taxonomy loads; where it does not say the credential, step 1
    # asks for it (DEF-VER-007).
    for name, taxonomy in [
        ("837-unknown-taxonomy.837", "207Q00000X"),  # family medicine
        ("837-agency-taxonomy.837", "251S00000X"),  # community/behavioral health agency
        ("837-sud-clinic-taxonomy.837", "261QR0405X"),  # SUD rehabilitation clinic
    ]:
        case(name, good.replace("1041C0700X", taxonomy).encode(), "claims", quarantined=0,
             loaded_claims=1, credential=None)  # fmt: skip

    ok = _835()
    case("835-valid.835", ok.encode(), "remits", posted=1, quarantined=0)
    case(
        "835-zero-claims.835",
        _835(_payment(claims=[])).encode(),
        "remits",
        posted=0,
        quarantined=1,
        reason="2100",
    )
    unbalanced_claim = ok.replace("CLP*CLX-1*1*95*60", "CLP*CLX-1*1*95*61")
    case(
        "835-claim-unbalanced.835",
        unbalanced_claim.encode(),
        "remits",
        posted=1,
        quarantined=0,
        unbalanced=True,
    )
    case(
        "835-payment-unbalanced.835",
        ok.replace("BPR*I*60*", "BPR*I*70*").encode(),
        "remits",
        posted=1,
        unbalanced=True,
        quarantined=0,
    )
    case(
        "835-duplicate-trace-in-file.835",
        _835(_payment(), _payment()).encode(),
        "remits",
        posted=1,
        duplicates=1,
        quarantined=0,
    )
    case(
        "835-reversal-without-original.835",
        _835(_payment(status="22", paid=Decimal("-60"))).encode(),
        "remits",
        posted=1,
        quarantined=0,
        unbalanced=True,
    )
    case(
        "835-formula-control-number.835",
        _835(_payment(control="=1+2")).encode(),
        "remits",
        posted=1,
        quarantined=0,
        csv_safe="=1+2",
    )
    script = ok.replace(
        "N1*PR*KEYSTONE PPO*XV*keystone", "N1*PR*<SCRIPT>ALERT(1)</SCRIPT>*XV*<B>X</B>"
    )
    case(
        "835-script-in-payer.835",
        script.encode(),
        "remits",
        posted=1,
        quarantined=0,
        html_safe="<B>X</B>",
    )
    case(
        "835-sql-in-control-number.835",
        _835(_payment(control="1';DROP TABLE CLAIM;--")).encode(),
        "remits",
        posted=1,
        quarantined=0,
        tables_intact=True,
    )
    faults_835: list[tuple[str, str, str]] = [
        ("835-truncated.835", ok[: len(ok) // 2], "line"),
        (
            "835-no-envelope.835",
            ok[ok.index("ST*") : ok.index("GE*")],
            "starts with an ISA segment",
        ),
        ("835-se-count-wrong.835", ok.replace("SE*", "SE*9", 1), "SE"),
        ("835-ge-count-wrong.835", ok.replace("GE*1*", "GE*2*"), "GE"),
        ("835-cas-group-cr.835", ok.replace("CAS*CO*45", "CAS*CR*45"), "CAS"),
        (
            "835-amount-not-a-number.835",
            ok.replace("SVC*HC:90853*95*60", "SVC*HC:90853*95*6.0.0"),
            "SVC",
        ),
        (
            "835-huge-amount.835",
            ok.replace("CLP*CLX-1*1*95*60", "CLP*CLX-1*1*95*999999999999"),
            "CLP",
        ),
        ("835-impossible-date.835", ok.replace("DTM*472*20261102", "DTM*472*20261340"), "DTM"),
        (
            "835-missing-trn.835",
            "\n".join(s for s in ok.splitlines() if not s.startswith("TRN*")),
            "TRN",
        ),
        ("835-control-char.835", ok.replace("CLP*CLX-1*", "CLP*CLX\x02-1*"), "CLP01"),
        ("835-wrong-version.835", ok.replace("005010X221A1", "004010X091A1"), "835"),
        ("835-an-837-inside.835", good, "835"),
        ("835-empty.835", "", "ISA"),
    ]
    for name, text, reason in faults_835:
        case(
            name,
            text.encode("latin-1", errors="replace"),
            "remits",
            posted=0,
            quarantined=1,
            reason=reason,
        )
    leniency_cases(ok)
    real_world_835_cases()


def _se_counted(text: str) -> str:
    """`text` with each SE01 counting its set's segments again (after segments were cut)."""
    out, count = [], 0
    for segment in text.split("~"):
        bare = segment.strip()
        if bare.startswith("ST*"):
            count = 0
        count += 1 if bare else 0
        if bare.startswith("SE*"):
            segment = segment.replace(bare, f"SE*{count}*{bare.split('*')[2]}")
        out.append(segment)
    return "~".join(out)


def leniency_cases(ok: str) -> None:
    """Balanced 835s with faults that leave the money readable are posted with warnings;
    the same faults with amounts that do not add up are refused."""
    no_contact = "\n".join(s for s in ok.splitlines() if not s.startswith("PER*BL"))
    warned = [
        ("835-payee-state-unknown.835",
         ok.replace("N1*PE*AUSTIN CLINIC*XX*1234567893~",
                    "N1*PE*AUSTIN CLINIC*XX*1234567893~\nN3*1 MAIN ST~\nN4*AUSTIN*NP*78701~"),
         "N402"),
        ("835-effective-date-malformed-no-contact.835",
         no_contact.replace("*DA*98765*20261116~", "*DA*98765*2026111~"), "BPR16"),
        ("835-production-date-malformed.835", ok.replace("DTM*405*20261116", "DTM*405*20261340"),
         "DTM02"),
        ("835-patient-name-control-char.835", ok.replace("DOE*SAM", "DOE*S\x02AM"), "NM104"),
    ]  # fmt: skip
    for name, text, warning in warned:
        case(name, _se_counted(text).encode("latin-1"), "remits", posted=1, quarantined=0,
             warned=1, warning=warning)  # fmt: skip
    payments = [
        _payment(f"TRACE{p}", claims=[
            dataclasses.replace(_payment().claims[0], control_number=f"CLX-{p}-{n}")
            for n in range(1, 101)
        ]) for p in (1, 2, 3)
    ]  # fmt: skip
    three = _835(*payments)
    second = three.index("ST*835*0002")
    bad = three[:second] + three[second:].replace("CAS*CO*45", "CAS*CR*45", 1)
    case("835-three-payments-one-bad.835", bad.encode(), "remits", posted=2, quarantined=1,
         claims_refused=100, reason="CAS (segment")  # fmt: skip
    case("835-trailing-separator.835", ok.replace("REF*6R*CLX-1-1~", "REF*6R*CLX-1-1*~").encode(),
         "remits", posted=1, quarantined=0, warned=1, warning="trailing separator")  # fmt: skip
    other = _payment(claims=[dataclasses.replace(_payment().claims[0], control_number="CLX-9")])
    other.claims[0].paid = Decimal("50")
    other.claims[0].lines[0].paid = Decimal("50")
    other.claims[0].lines[0].adjustments = [w.Cas("CO", "45", Decimal("45"))]
    case("835-trace-reused.835", _835(_payment(), other).encode(), "remits", posted=1,
         duplicates=0, quarantined=1, claims_refused=1, reason="ask the payer")  # fmt: skip
    unbalanced = no_contact.replace("CLP*CLX-1*1*95*60", "CLP*CLX-1*1*95*61")
    case("835-unbalanced-and-no-contact.835", _se_counted(unbalanced).encode(), "remits",
         posted=0, quarantined=1, reason="amounts that balance")  # fmt: skip


# ---------------------------------------------------------------- real-world shapes

SAMPLES = ROOT / "tests" / "fixtures" / "x12"  # public files, sources in SOURCES.md there


def _sample(name: str) -> str:
    """A shared public sample, its ICD-9 diagnoses (TR3 examples predate ICD-10) made ICD-10,
    so what is tested is the shape, not the diagnosis code set."""
    text = (SAMPLES / name).read_text(encoding="latin-1")
    text = re.sub(r"HI\*BK:[^~]*", "HI*ABK:F331", text)
    return text.replace("203BF0100Y", "1041C0700X")  # a TR3 example value, not a NUCC code


def _translated(text: str, *, terminator: str = "~") -> str:
    """As another translator writes it: a byte-order mark, CRLF after each terminator,
    segments indented."""
    return "\ufeff" + text.replace(f"{terminator}\n", terminator).replace(
        terminator, f"{terminator}\r\n   "
    )


def real_world_837_cases() -> None:
    """The shared public 837Ps in the layouts other systems write, and with the faults the
    issue met in real files."""
    x222 = _sample("X222-commercial-health-insurance.edi")
    # TR3 examples: claims of 2005-2006 with NPIs whose check digits fail, each refused on
    # its own with a plain reason once the file's layout is read.
    case("real-x222-bom-crlf-indented.837", _translated(x222).encode("utf-8"), "claims",
         quarantined=3, loaded_claims=0, claims="1 claim: 0 loaded, 1 refused",
         reason="NPI check digit")  # fmt: skip
    three = "\n".join(
        _sample(n) for n in ("demo.example1.837", "demo.example7.837", "demo.cob.example3.B.837")
    )
    case("real-three-interchanges.837", three.encode("latin-1"), "claims", quarantined=7,
         loaded_claims=0, claims="3 claims: 0 loaded, 3 refused",
         note="005010X222A2 read as 005010X222A1", reason="2015-10-01")  # fmt: skip
    as_4010 = _sample("demo.example1.837").replace("*00501*", "*00401*", 1)
    case("real-4010.837", as_4010.replace("005010X222A2", "004010X098A1").encode(), "claims",
         quarantined=1, reason="this is an x12 4010 file")  # fmt: skip
    five = x222.replace("SV1*HC:99214*35*UN*1***2", "SV1*HC:99214*35*UN*1***2:1:2:1:2")
    case("real-x222-sv107-five-pointers.837", five.encode(), "claims", quarantined=1,
         loaded_claims=0, claims="1 claim: 0 loaded, 1 refused", reason="SV107")  # fmt: skip


def real_world_835_cases() -> None:
    """The shared public 835s, and the non-money faults the issue met, on a balanced one."""
    mult = (SAMPLES / "835_mult_loops.txt").read_text(encoding="latin-1")
    payee = mult.replace("N1*PE*UNKNOWN*FI*444313000~",
                         "N1*PE*UNKNOWN*FI*444313000~\nN3*1 MAIN ST~\nN4*LANSING*NP*48909~")  # fmt: skip
    case("real-835-payee-state-unknown.835", _se_counted(payee).encode("latin-1"), "remits",
         posted=1, quarantined=0, warned=1, warning="N402")  # fmt: skip
    no_contact = "\n".join(s for s in mult.splitlines() if not s.startswith("PER*BL"))
    dated = no_contact.replace("************20041028~", "************2004102~")
    case("real-835-effective-date-malformed-no-contact.835", _se_counted(dated).encode("latin-1"),
         "remits", posted=1, quarantined=0, warned=1, warning="BPR16")  # fmt: skip
    medicare = (SAMPLES / "medicare-part-a.835").read_bytes()
    case("real-835-medicare-part-a.835", medicare, "remits", posted=1, quarantined=0, warned=1,
         warning="TS309")  # fmt: skip


def _claims(count: int) -> list[w.Claim]:
    """`count` claims, each its own subscriber, told apart by claim and line ids."""
    out = []
    for n in range(1, count + 1):
        claim = dataclasses.replace(_claim(), claim_id=f"CLX-{n}")
        claim.subscriber = dataclasses.replace(claim.subscriber, id=f"M{n:09d}")
        claim.lines = [dataclasses.replace(claim.lines[0], control_number=f"CLX-{n}-1")]
        out.append(claim)
    return out


def _in_claim(text: str, claim_id: str, old: str, new: str) -> str:
    """`text` with the first `old` after claim `claim_id`'s CLM replaced by `new`."""
    at = text.index(f"CLM*{claim_id}*")
    found = text.index(old, at)
    return text[:found] + new + text[found + len(old) :]


def _in_subscriber_of(text: str, claim_id: str, old: str, new: str) -> str:
    """`text` with the last `old` before claim `claim_id`'s CLM replaced by `new`."""
    found = text.rindex(old, 0, text.index(f"CLM*{claim_id}*"))
    return text[:found] + new + text[found + len(old) :]


def smallest_unit_cases() -> None:
    """Faults refused at the smallest unit: a claim, the claims under a subscriber, a set."""
    large = _837(_claims(200))
    case("837-large-set-one-bad-claim.837",
         _in_claim(large, "CLX-137", "HI*ABK:F331", "HI*ABK").encode(), "claims",
         quarantined=1, loaded_claims=199, claims="200 claims: 199 loaded, 1 refused",
         reason="HI01-02")  # fmt: skip
    three = _837(_claims(3))
    case("837-subscriber-fault.837",
         _in_subscriber_of(three, "CLX-2", "DMG*D8*19800501", "DMG*D8*19800532").encode(),
         "claims", quarantined=1, loaded_claims=2, claims="3 claims: 2 loaded, 1 refused",
         reason="DMG02", withheld="19800532")  # fmt: skip
    case("837-header-fault.837",
         three.replace("BHT*0019*00*", "BHT*0019*99*").encode(), "claims",
         quarantined=1, loaded_claims=0, claims="3 claims: 0 loaded, 3 refused",
         reason="BHT02")  # fmt: skip
    case("837-trailing-separator.837",
         _in_claim(three, "CLX-2", "REF*6R*CLX-2-1~", "REF*6R*CLX-2-1*~").encode(), "claims",
         quarantined=0, loaded_claims=3, claims="3 claims: 3 loaded, 0 refused",
         note="trailing separator")  # fmt: skip
    case("837-sv107-twelve-pointers.837",
         _in_claim(three, "CLX-2", "***1~", "***" + ":".join("1234123412341"[:12]) + "~")
         .encode(), "claims", quarantined=1, loaded_claims=2,
         claims="3 claims: 2 loaded, 1 refused", reason="SV107")  # fmt: skip
    first, second = _837(_claims(1)), _837([_claims(2)[1]])
    sets = (
        first[: first.index("\nGE*") + 1]
        + second[second.index("\nST*") + 1 : second.index("\nGE*") + 1]
    )
    sets = sets.replace("ST*837*0001", "ST*837*0002", 2).replace("ST*837*0002", "ST*837*0001", 1)
    second_set = sets.rindex("\nST*837*") + 1
    numbered_on = sets[:second_set] + (
        sets[second_set:].replace("HL*1**20*1~", "HL*3**20*1~")
        .replace("HL*2*1*22*0~", "HL*4*3*22*0~").replace("SE*30*0001", "SE*30*0002")
    )  # fmt: skip
    numbered_on += "GE*2*101~\nIEA*1*000000101~\n"
    case("837-hl-numbered-on.837", numbered_on.encode(), "claims", quarantined=0,
         loaded_claims=2, claims="2 claims: 2 loaded, 0 refused", note="levels numbered from 3")  # fmt: skip


def main() -> None:
    json_cases()
    x12_cases()
    (HERE / "cases.yaml").write_text(
        "# Generated by make_corpus.py: each file and what ClaimGuard must do with it.\n"
        + yaml.safe_dump(CASES, sort_keys=False, width=120)
    )
    print(f"{len(CASES)} cases")


if __name__ == "__main__":
    main()
