"""The deployment forms the Prefect UI draws, shaped for the people who fill them in.

Prefect draws a form from each flow's parameter schema. Left as Pydantic writes it, an
optional field is a type toggle ("Property is type None") and an id is free text the user
must already know. Here, when the deployments are served (and again whenever the rule set or
the database's payers, plans and providers change), the schema is reshaped:

- payer, plan, provider and rule become pick-lists of what is on file, each entry "id — name"
  (the flows read the id before the dash, so a script may still give the bare id);
- an optional field is a plain input, left empty for none;
- every field's description ends with an example when it has one.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flows.params import CHOICE_SEPARATOR
from tasks.db import selection as found
from tasks.db.presence import absent
from tasks.db.session import session_scope
from tasks.runtime import Runtime

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Choices:
    """What the pick-lists offer: (id, name) pairs, in the order shown."""

    payers: Pairs = ()
    plans: Pairs = ()
    providers: Pairs = ()
    rules: Pairs = ()

    def for_field(self, name: str) -> Pairs | None:
        return {
            "payer_id": self.payers,
            "plan_id": self.plans,
            "provider_npi": self.providers,
            "held_by_rule": self.rules,
        }.get(name)


def label(ident: str, name: str) -> str:
    """A pick-list entry: the id, then the name when it says more."""
    return f"{ident}{CHOICE_SEPARATOR}{name}" if name and name != ident else ident


def choices_of(runtime: Runtime) -> Choices:
    """The rule set's payers and rules, and the payers, plans and providers on file."""
    rule_set = runtime.rule_set()
    rules = tuple(sorted({(rule.id, rule.title) for _, rule in rule_set.all_rules()}))
    on_file: dict[str, str] = {}
    plans: Pairs = ()
    providers: Pairs = ()
    if absent(runtime.database_url) is None:
        with session_scope(runtime.engine()) as session:
            on_file = dict(found.payer_names(session))
            plans = tuple(found.plan_names(session))
            providers = tuple(found.provider_names(session))
    payers = {**{payer: payer for payer in rule_set.payers}, **on_file}
    return Choices(
        payers=tuple(sorted(payers.items())), plans=plans, providers=providers, rules=rules
    )


def shaped(schema: dict[str, Any], choices: Choices) -> dict[str, Any]:
    """A copy of a deployment's parameter schema, shaped for its form (see the module's doc)."""
    schema = copy.deepcopy(schema)
    definitions = schema.get("definitions", {})
    for prop in schema.get("properties", {}).values():
        # The form's sections are titled by the model ("Re-audit"), not the argument name.
        referred = definitions.get(prop.get("$ref", "").rsplit("/", 1)[-1], {})
        if "title" in referred:
            prop["title"] = referred["title"]
    for properties in _property_sets(schema):
        for name, prop in properties.items():
            properties[name] = _field(name, prop, choices)
        if "advanced" in properties:  # tuning last, after the fields a person fills in
            properties["advanced"] = properties.pop("advanced")
    return schema


def _property_sets(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found_sets = [schema.get("properties", {})]
    for definition in schema.get("definitions", {}).values():
        if "properties" in definition:
            found_sets.append(definition["properties"])
    return found_sets


def _field(name: str, prop: dict[str, Any], choices: Choices) -> dict[str, Any]:
    prop = _plain_optional(prop)
    picks = choices.for_field(name)
    if picks is not None:
        prop.pop("format", None)
        prop.update(type="string", enum=[label(ident, text) for ident, text in picks])
        prop.pop("examples", None)
    examples = prop.pop("examples", None)
    if examples and "e.g." not in prop.get("description", ""):
        shown = examples[0]
        shown = ", ".join(map(str, shown)) if isinstance(shown, list) else shown
        prop["description"] = f"{prop.get('description', '')} (e.g. {shown})".strip()
    return prop


def _plain_optional(prop: dict[str, Any]) -> dict[str, Any]:
    """`X | None` drawn as a plain X input: left empty, the field keeps its default of none."""
    options = prop.get("anyOf")
    if not options:
        return dict(prop)
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) != 1 or len(kept) == len(options):
        return dict(prop)
    plain = {key: value for key, value in prop.items() if key != "anyOf"}
    plain.update(kept[0])
    if plain.get("default", 0) is None:
        del plain["default"]
    return plain
