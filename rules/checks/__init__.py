"""The closed vocabulary of checks: importing this package registers every one of them."""

from __future__ import annotations

from rules.checks import (  # noqa: F401 - imported to register their checks
    code_confirmation,
    coding_edits,
    documentation,
    post_payment_audit,
    verification,
)
from rules.checks.base import REGISTRY, CheckParams, CheckSpec, Env, Hit

__all__ = ["REGISTRY", "CheckParams", "CheckSpec", "Env", "Hit"]
