"""Records and rows: a record's field is kept in the column of the same name.

Which fields a table keeps is read from the record model and the ORM table together, so a
field added to both needs no third edit here; what a record holds in other tables (a
claim's lines, a session's roster) and what only the database keeps (content hashes, the
file a claim came in) are whatever the two do not share.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table

M = TypeVar("M", bound=BaseModel)


@cache
def stored_fields(model: type[BaseModel], table: Table) -> tuple[str, ...]:
    """The fields of `model` that `table` keeps, as columns of the same name."""
    return tuple(name for name in model.model_fields if name in table.c)


def to_row(record: BaseModel, table: Table, **values: Any) -> dict[str, Any]:
    """The row of `table` for `record`: its stored fields, then `values` (columns the
    record does not hold, or a field stored in another form)."""
    row = record.model_dump(include=set(stored_fields(type(record), table)))
    row.update(values)
    return row


def from_row(model: type[M], table: Table, row: dict[str, Any], **values: Any) -> M:
    """A `model` from a row of `table` that intake validated on its way in (not validated
    again), with `values` for fields kept elsewhere."""
    fields = {name: row[name] for name in stored_fields(model, table)}
    fields.update(values)
    return model.model_construct(**fields)
