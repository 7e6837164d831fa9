"""A JSON column that holds a validated Pydantic value, so bad JSON never gets in or out."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Dialect
from sqlalchemy.types import TypeDecorator

from tasks.db.base import JsonType


class PydanticJSON(TypeDecorator[Any]):
    """Store `python_type` (a Pydantic model, or a list of them) as JSON; validate both ways."""

    impl = JsonType
    cache_ok = True

    def __init__(self, python_type: Any) -> None:
        super().__init__()
        self.model_type = python_type
        self.adapter: TypeAdapter[Any] = TypeAdapter(python_type)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.adapter.dump_python(
            self.adapter.validate_python(value), mode="json", exclude_none=True
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.adapter.validate_python(value)
