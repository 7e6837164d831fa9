"""The generated files stay current, and the check vocabulary is closed and complete."""

from __future__ import annotations

import json
from pathlib import Path

from rules.catalog import render_catalog
from rules.checks import REGISTRY
from rules.loader import default_rule_set
from rules.schema import rule_file_json_schema

RULES_DIR = Path(__file__).parents[2] / "rules"


def test_catalog_is_current():
    """rules/CATALOG.md is what `claimguard rules catalog` writes now."""
    assert (RULES_DIR / "CATALOG.md").read_text() == render_catalog(default_rule_set())


def test_rule_file_schema_is_current():
    """rules/rule-file.schema.json is what `claimguard rules schema` writes now."""
    assert json.loads((RULES_DIR / "rule-file.schema.json").read_text()) == rule_file_json_schema()


def test_schema_offers_exactly_the_registered_checks():
    """The rule-file schema's `check` choices are the registry: no more, no fewer."""
    schema = rule_file_json_schema()
    mapping = next(
        v
        for k, v in schema["$defs"]["Rule"]["properties"]["require"].items()
        if k == "discriminator"
    )["mapping"]
    assert set(mapping) == set(REGISTRY)


def test_every_check_is_used_by_a_shipped_rule():
    """No registered check sits unused."""
    used = {rule.check_name for _, rule in default_rule_set().all_rules()}
    assert set(REGISTRY) - used == set()


def test_every_check_documents_itself():
    """Each check function has a docstring; the catalog shows its first line."""
    assert [name for name, spec in REGISTRY.items() if not (spec.fn.__doc__ or "").strip()] == []
