"""The claim packet models: what they accept, what they refuse, and the published schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from rules.codes import npi_check_digit
from rules.records import Claim, GroupSession, PacketRecord, packet_json_schema
from tests import builders as b

ADAPTER: TypeAdapter[PacketRecord] = TypeAdapter(PacketRecord)
SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "claim-packet.schema.json"


class TestPacketRecords:
    @pytest.mark.parametrize("record", b.day(), ids=lambda r: f"{r['type']}")
    def test_every_builder_record_is_valid(self, record):
        """The builders' cast is valid as sent."""
        assert ADAPTER.validate_python(record).type == record["type"]

    @pytest.mark.parametrize("claim_id", ["R03996273 #01", "ACCT/2026/17", "PCN-1.2_3:4"])
    def test_a_claim_id_is_the_patient_control_number_as_practices_write_it(self, claim_id):
        """CLM01 with spaces, '#' or '/' (as a practice's system writes it) is an id."""
        claim = ADAPTER.validate_python(b.claim(1, claim_id=claim_id))
        assert isinstance(claim, Claim) and claim.claim_id == claim_id

    @pytest.mark.parametrize("claim_id", ["=HYPERLINK(1)", "<b>", " ", "A*B~C", "x" * 65])
    def test_a_claim_id_that_is_not_one_is_refused(self, claim_id):
        with pytest.raises(ValidationError, match="claim_id"):
            ADAPTER.validate_python(b.claim(1, claim_id=claim_id))

    def test_icd10_codes_are_normalised_with_a_dot(self):
        """F331 and f33.1 are the same code and are stored as F33.1."""
        claim = ADAPTER.validate_python(b.claim(1, diagnoses=["F331", "z63.0"]))
        assert isinstance(claim, Claim)
        assert claim.diagnoses == ["F33.1", "Z63.0"]

    def test_claim_knows_its_first_service_date_and_total(self):
        """A claim's service date is its earliest line's, its total the sum of its lines."""
        lines = [b.line(), b.line(line_number=2, procedure_code="90785", charge="25.00")]
        claim = ADAPTER.validate_python(b.claim(1, lines=lines))
        assert isinstance(claim, Claim)
        assert (str(claim.service_date), str(claim.total_charge)) == ("2026-11-02", "120.00")

    def test_two_lines_with_one_number_are_refused(self):
        """Line numbers identify lines; two lines numbered 1 cannot both be line 1."""
        with pytest.raises(ValidationError, match="a different line_number on every line"):
            ADAPTER.validate_python(b.claim(1, lines=[b.line(), b.line()]))

    def test_session_minutes(self):
        """A session from 10:00 to 11:30 lasted 90 minutes."""
        session = ADAPTER.validate_python(b.session(end_time="11:30"))
        assert isinstance(session, GroupSession) and session.minutes == 90

    def test_records_are_immutable(self):
        """A record read from a packet cannot be changed afterwards."""
        claim = ADAPTER.validate_python(b.claim(1))
        with pytest.raises(ValidationError):
            claim.claim_id = "CL-2"  # type: ignore[misc]

    def test_wrong_format_version_is_refused(self):
        """A record of another packet version is not read as this one."""
        with pytest.raises(ValidationError, match=r"claimguard\.packet/1"):
            ADAPTER.validate_python({**b.claim(1), "format": "claimguard.packet/2"})


class TestNpi:
    @pytest.mark.parametrize(
        ("first_nine", "digit"), [("123456789", "3"), ("124531959", "9"), ("100000000", "4")]
    )
    def test_check_digit(self, first_nine, digit):
        """The NPI check digit is the Luhn digit over 80840 and the first nine digits."""
        assert npi_check_digit(first_nine) == digit


class TestPublishedSchema:
    def test_checked_in_schema_is_current(self):
        """docs/claim-packet.schema.json equals the schema the models give (run `claimguard schema`)."""
        assert json.loads(SCHEMA_FILE.read_text()) == packet_json_schema()

    def test_schema_names_every_record_type(self):
        """The schema lists the ten record types by their `type` tag."""
        mapping = packet_json_schema()["discriminator"]["mapping"]
        assert sorted(mapping) == sorted(
            [
                "payer",
                "plan",
                "location",
                "provider",
                "patient",
                "coverage",
                "authorization",
                "group_session",
                "note",
                "claim",
            ]
        )
