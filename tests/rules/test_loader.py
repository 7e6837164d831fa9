"""Loading rule files: every problem in every file is reported at once, with a suggestion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rules.errors import RuleFileError
from rules.loader import RULES_ROOT, load_rule_set

RULE = """
payer: {payer}
step: {step}
rules:
{rules}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the shipped rules to break."""
    shutil.copytree(RULES_ROOT / "payers", tmp_path / "payers")
    shutil.copytree(RULES_ROOT / "tables", tmp_path / "tables")
    return tmp_path


def write(root: Path, payer: str, step: str, body: str) -> None:
    path = root / "payers" / payer / f"{step}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


def write_rule(root: Path, step: str, rule_text: str, *, says: str = "acme") -> None:
    """Write payers/acme/<step>.yaml holding one rule; `says` is the payer the file claims to be."""
    write(root, "acme", step, RULE.format(payer=says, step=step, rules=rule_text))


def rule(rule_id: str, require: str, **extra: str) -> str:
    lines = [
        f"  - id: {rule_id}",
        "    title: A test rule",
        "    severity: held",
        "    effective_from: 2024-01-01",
        "    source: test",
    ]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join([*lines, f"    require: {require}"])


def problems(root: Path) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_rule_set(root)
    return [str(p) for p in caught.value.problems]


class TestShippedRules:
    def test_shipped_rules_load(self):
        """The rules and tables in the repository load without a problem."""
        rule_set = load_rule_set()
        assert len(rule_set.all_rules()) >= 50
        assert "medicare" in rule_set.payers

    def test_version_is_a_content_hash(self, root: Path):
        """Changing any byte of any rule file or table changes the version; the same bytes give the same."""
        first = load_rule_set(root).version
        assert load_rule_set(root).version == first
        table = root / "tables" / "mue_practitioner.csv"
        table.write_text(table.read_text() + "\n")
        assert load_rule_set(root).version != first


class TestProblems:
    def test_unknown_check_suggests_the_closest(self, root: Path):
        """A misspelt check name is refused with a did-you-mean."""
        write_rule(root, "coding_edits", rule("ACME-EDT-001", "{check: ncci_pair}"))
        (found,) = problems(root)
        assert (
            "rule ACME-EDT-001" in found
            and "unknown check 'ncci_pair'; did you mean 'ncci_pairs'?" in found
        )

    def test_unknown_parameter_suggests_the_closest(self, root: Path):
        """A misspelt parameter names the rule, the field and the right spelling."""
        write_rule(
            root, "documentation", rule("ACME-DOC-001", "{check: group_size_within, max_sise: 10}")
        )
        found = problems(root)
        assert any(
            "ACME-DOC-001" in p and "max_sise" in p and "did you mean 'max_size'?" in p
            for p in found
        ), found

    def test_every_problem_in_every_file_is_reported_together(self, root: Path):
        """Three broken files give three problems in one error, not the first one only."""
        write_rule(root, "verification", rule("ACME-VER-001", "{check: coverage_actve}"))
        write_rule(root, "documentation", rule("ACME-DOC-001", "{check: group_size_within}"))
        write(root, "acme", "coding_edits", "payer: acme\nstep: coding_edits\nrules: [\n")
        found = problems(root)
        assert len(found) == 3
        where = sorted(p.split(":")[0].split("/payers/")[1] for p in found)
        assert where == [
            "acme/coding_edits.yaml",
            "acme/documentation.yaml rule ACME-DOC-001",
            "acme/verification.yaml rule ACME-VER-001",
        ]

    def test_duplicate_rule_ids(self, root: Path):
        """A rule id used twice is refused."""
        write_rule(root, "coding_edits", rule("DEF-EDT-001", "{check: ncci_pairs}"))
        assert any("DEF-EDT-001" in p and "unique" in p for p in problems(root))

    def test_empty_rule_file_fails_closed(self, root: Path):
        """A file with no rules is an error, not a file that passes everything."""
        write(root, "acme", "coding_edits", "payer: acme\nstep: coding_edits\nrules: []\n")
        assert any("empty rule set fails closed" in p for p in problems(root))

    def test_step_without_default_rules_fails_closed(self, root: Path):
        """Removing the default rules of a step is an error."""
        (root / "payers" / "_default" / "documentation.yaml").unlink()
        assert any("no default rules for step documentation" in p for p in problems(root))

    def test_no_rule_files_at_all(self, tmp_path: Path):
        """An empty rule folder fails closed."""
        (tmp_path / "payers").mkdir()
        shutil.copytree(RULES_ROOT / "tables", tmp_path / "tables")
        assert any("no rule files" in p for p in problems(tmp_path))

    def test_file_must_live_where_it_says(self, root: Path):
        """A file's payer and step must match its folder and name."""
        write_rule(root, "coding_edits", rule("ACME-EDT-001", "{check: ncci_pairs}"), says="other")
        assert any("lives at acme/coding_edits.yaml" in p for p in problems(root))

    def test_check_of_another_step(self, root: Path):
        """A check is used only in its own step's file."""
        write_rule(root, "coding_edits", rule("ACME-EDT-001", "{check: coverage_active}"))
        assert any("belongs to step verification" in p for p in problems(root))

    def test_replacing_an_unknown_default(self, root: Path):
        """A payer rule that replaces a default that does not exist is refused with a suggestion."""
        write_rule(
            root,
            "documentation",
            rule(
                "ACME-DOC-001",
                "{check: group_size_within, max_size: 8}",
                replaces="[DEF-DOC-070]",
            ),
        )
        assert any(
            "'DEF-DOC-070' is not a default rule; did you mean 'DEF-DOC-0" in p
            for p in problems(root)
        )

    def test_effective_dates_in_order(self, root: Path):
        """A rule cannot end before it starts."""
        write_rule(
            root,
            "coding_edits",
            rule("ACME-EDT-001", "{check: ncci_pairs}", effective_to="2020-01-01"),
        )
        assert any("before effective_from" in p for p in problems(root))

    def test_bad_table_cells_name_file_line_and_column(self, root: Path):
        """A table cell that is not a date is reported with the file, line and column."""
        table = root / "tables" / "ncci_ptp_practitioner.csv"
        table.write_text(table.read_text() + "90853,90791,,2024-13-45,*,1,x,yes,test\n")
        (found,) = problems(root)
        assert (
            found.startswith("ncci_ptp_practitioner.csv:")
            and "Effective Date" in found
            and "2024-13-45" in found
        )

    def test_missing_table(self, root: Path):
        """Every table is required."""
        (root / "tables" / "carc_categories.csv").unlink()
        assert any("carc_categories.csv" in p and "missing" in p for p in problems(root))
