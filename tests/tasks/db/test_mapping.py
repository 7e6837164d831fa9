"""Records and rows: every field a packet record carries comes back from the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Engine

from rules import records as r
from tasks.db.base import Base
from tasks.db.contexts import ContextLoader
from tasks.db.mapping import stored_fields
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tasks.intake.rows import SPECS
from tests import builders as b

RECORD = TypeAdapter(r.PacketRecord)
T = Base.metadata.tables
# What a record holds in rows of another table (or in other columns), and only that.
KEPT_ELSEWHERE = {
    "provider": {"enrollments"},  # provider_enrollment
    "group_session": {"roster"},  # session_participant
    "claim": {"lines"},  # claim_line
}


def _models() -> dict[str, type[BaseModel]]:
    kinds = {rec["type"]: type(RECORD.validate_python(rec)) for rec in b.day()}
    return {kind: model for kind, model in kinds.items()}


def test_every_record_field_has_a_column():
    """A field added to a record but not to its table would be dropped silently on intake."""
    for kind, model in _models().items():
        table = SPECS[kind].table
        unstored = set(model.model_fields) - set(stored_fields(model, table)) - {"type", "format"}
        assert unstored == KEPT_ELSEWHERE.get(kind, set()), kind
    line_fields = set(r.ClaimLine.model_fields) - set(stored_fields(r.ClaimLine, T["claim_line"]))
    assert line_fields == {"modifiers"}  # modifier_1 .. modifier_4
    enrollment = set(r.Enrollment.model_fields) - set(
        stored_fields(r.Enrollment, T["provider_enrollment"])
    )
    assert enrollment == set()


def _dump(record: BaseModel) -> dict[str, Any]:
    # Python values: a NUMERIC column gives back 0.00 for 0, equal as a Decimal.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in record.model_dump().items()}


def test_records_come_back_as_they_went_in(db: Engine, tmp_path: Path):
    """A day's packet loaded and read back as claim contexts: each record is equal, field by field."""
    records = [
        *b.day(),
        b.claim(
            3,
            claim_id="CL-9",
            lines=[b.line(modifiers=["95", "GT"], units="2")],
        ),
    ]
    report = load_file(db, b.write_jsonl(tmp_path / "day.jsonl", records))
    assert report.quarantined == 0
    sent = {_key(rec): _dump(rec) for rec in map(RECORD.validate_python, records)}
    with session_scope(db) as session:
        loader = ContextLoader(session)
        contexts = loader.load(["CL-1", "CL-2", "CL-3", "CL-9"])
    back: dict[tuple[str, str], dict[str, Any]] = {}
    for ctx in contexts:
        found = [ctx.claim, ctx.payer, ctx.coverage, ctx.plan, ctx.patient, ctx.rendering]
        found += [ctx.location, ctx.session, ctx.note, *ctx.peer_notes, *ctx.authorizations]
        for rec in found:
            if rec is not None:
                back[_key(rec)] = _dump(rec)
    assert set(back) == set(sent)
    for key, fields in sent.items():
        assert back[key] == fields, key


def _key(record: Any) -> tuple[str, str]:
    return record.type, SPECS[record.type].key(record)
