"""Why a record was refused, in words a biller can act on and with no patient data in them.

Every reason names the field, what was expected and what was found. For fields that hold
protected health information (names, birth dates, member ids, note text) the value found
is withheld and only its shape is described, so a reason can be printed, logged or shown
in Prefect without leaking a patient's data.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

PHI_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "birth_date",
        "member_id",
        "text",
        "therapeutic_focus",
        "treatment_plan_goal",
        "participation",
        "response",
        "intervention",
        "medical_necessity",
        "telehealth_details",
        "complexity_detail",
    }
)
_MAX_FOUND = 80


class Reason(BaseModel):
    """One problem with one field of one record."""

    model_config = ConfigDict(frozen=True)

    field: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected}; found {self.found}"


class RecordRef(BaseModel):
    """Where a record came from: the file, its place in the file, and its id if readable."""

    model_config = ConfigDict(frozen=True)

    path: str
    locator: str
    record_type: str | None = None
    record_key: str | None = None

    def __str__(self) -> str:
        what = " ".join(p for p in (self.record_type, self.record_key) if p)
        return f"{self.path} {self.locator}" + (f" ({what})" if what else "")


# A found value is shown only when it looks like what the field holds: a short code or
# number. A record whose fields are shifted puts a name in `sex`, a birth date in an id, a
# member id in a code; those are described by their shape instead.
_CODE_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:_-]*")
_DATE_LIKE = re.compile(r"\d{4}-?\d{2}-?\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")
_LONG_DIGITS = re.compile(r"\d{6,}")
SHOWN_LENGTH = 12


def describe(value: Any, *, field: str, longest: int = SHOWN_LENGTH) -> str:
    """Describe a found value: shown when it is a short code or number (at most `longest`
    characters) in a field that carries no patient data, else by its shape alone."""
    if isinstance(value, dict):
        return f"an object with {len(value)} fields"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if value is None:
        return "null"
    text = str(value)
    if _is_inside_phi(field):
        return f"a {type(value).__name__} of {len(text)} characters (withheld: patient data)"
    if isinstance(value, bool | int | float | Decimal) and len(text) <= SHOWN_LENGTH:
        return repr(value) if not isinstance(value, Decimal) else text
    if isinstance(value, str) and _shows_as_code(value, longest):
        return repr(value)
    return f"a {type(value).__name__} of {len(text)} characters (withheld)"


def _shows_as_code(value: str, longest: int) -> bool:
    return (
        len(value) <= longest
        and _CODE_LIKE.fullmatch(value) is not None
        and _DATE_LIKE.search(value) is None
        and _LONG_DIGITS.search(value) is None
    )


def _is_inside_phi(field: str) -> bool:
    return any(part in PHI_FIELDS for part in field.split("."))


# Plain words for the constrained types of rules.codes, keyed by their regex.
_PATTERNS = {
    r"^([0-9]{5}|[0-9]{4}[FT]|[A-V][0-9]{4})$": "a CPT or HCPCS code (5 digits, 4 digits and F or T, or a letter A-V and 4 digits)",
    r"^[A-Z0-9]{2}$": "a 2-character modifier (capital letters and digits)",
    r"^[0-9]{2}$": "a 2-digit place-of-service code",
    r"^[0-9]{10}$": "a 10-digit NPI",
    r"^[0-9A-Z]{9}X$": "a 10-character provider taxonomy code ending in X",
    r"^[A-Z]{2}$": "a 2-letter state code",
    r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$": "an id of 1-64 letters, digits, dots, dashes, colons or underscores",
    r"^[A-Za-z0-9][A-Za-z0-9 ._:/#-]{0,63}$": "a claim id of 1-64 letters, digits, spaces, dots, dashes, colons, underscores, '/' or '#'",
}


def _expected(item: Any) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if "expected" in ctx and kind == "claimguard":
        return str(ctx["expected"])
    simple = {
        "missing": "a value (the field is required)",
        "decimal_parsing": "a number",
        "decimal_type": "a number",
        "float_parsing": "a number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
        "date_parsing": "a date (YYYY-MM-DD)",
        "date_type": "a date (YYYY-MM-DD)",
        "time_parsing": "a time (HH:MM)",
        "time_type": "a time (HH:MM)",
        "string_type": "text",
        "list_type": "a list",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "model_type": "a JSON object",
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(ctx.get("pattern", ""), f"text matching {ctx.get('pattern')}")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()))
        return f"a value {sign} {bound}"
    if kind in ("enum", "literal_error"):
        return f"one of {ctx.get('expected')}"
    return str(item["msg"]).removeprefix("Value error, ")


# The longest value each code pattern takes: a value much longer is not a mistyped code.
_PATTERN_LENGTHS = {
    r"^([0-9]{5}|[0-9]{4}[FT]|[A-V][0-9]{4})$": 5,
    r"^[A-Z0-9]{2}$": 2,
    r"^[0-9]{2}$": 2,
    r"^[0-9]{10}$": 10,
    r"^[0-9A-Z]{9}X$": 10,
    r"^[A-Z]{2}$": 2,
}


def _longest_option(item: Any) -> int:
    """How long a value may be and still be shown: for a code, a little over its length;
    for a choice (enum, literal), a little over its longest legal value."""
    if item["type"] == "string_pattern_mismatch":
        pattern = str((item.get("ctx") or {}).get("pattern", ""))
        return _PATTERN_LENGTHS.get(pattern, SHOWN_LENGTH - 2) + 2
    if item["type"] not in ("enum", "literal_error"):
        return SHOWN_LENGTH
    options = re.findall(r"'([^']*)'", str((item.get("ctx") or {}).get("expected", "")))
    return max((len(o) for o in options), default=SHOWN_LENGTH) + 2


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """Render a Pydantic location as billers count: lines[1].charge is the first line's charge."""
    path = ""
    for part in loc:
        path += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(record)"


def from_validation_error(error: ValidationError) -> list[Reason]:
    """Turn every Pydantic error into a Reason with a dotted field path."""
    reasons = []
    for item in error.errors(include_url=False):
        # The first location element is the union tag (the record type); it is not a field.
        field = field_path(item["loc"][1:])
        if item["type"] == "extra_forbidden":
            # An unknown field's value may be anything, including patient data: never echo it.
            reasons.append(Reason(field=field, expected="no such field", found="an unknown field"))
            continue
        ctx = item.get("ctx") or {}
        if item["type"] == "missing":
            found = "nothing"
        elif item["type"] == "claimguard":
            found = str(ctx["found"])
        else:
            found = describe(item.get("input"), field=field, longest=_longest_option(item))
        reasons.append(Reason(field=field, expected=_expected(item), found=found))
    return reasons
