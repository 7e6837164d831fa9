"""ICD-10-CM codes are checked against the real table (simple-icd-10-cm, April 2026)."""

from __future__ import annotations

import pytest

from rules import icd10


class TestProblem:
    @pytest.mark.parametrize("code", ["F33.1", "F331", "F43.10", "F32.A", "Z63.0", "F10.20"])
    def test_billable_codes_pass(self, code):
        """A leaf of the tabular list is billable."""
        assert icd10.problem(code) is None

    def test_category_names_its_billable_children(self):
        """F33 is a category; the refusal offers F33.0 to F33.9."""
        assert (
            icd10.problem("F33")
            == "a category, not billable; use a billable code under it: F33.0 to F33.9 (9 codes)"
        )

    def test_small_category_lists_every_child(self):
        """A category with few children names each of them."""
        assert (
            icd10.problem("F43.1")
            == "a category, not billable; use a billable code under it: F43.10, F43.11, F43.12"
        )

    def test_unknown_code(self):
        """A code shaped like ICD-10-CM but absent from the table is unknown."""
        assert icd10.problem("F99.99") == "not in the ICD-10-CM code table (April 2026 release)"

    @pytest.mark.parametrize("code", ["296.32", "F", "FF3.1", "F33.12345"])
    def test_malformed_code(self, code):
        """ICD-9 codes and other shapes are refused before the table is asked."""
        assert icd10.problem(code).startswith("not shaped like")


class TestHelpers:
    def test_normalize_adds_the_dot(self):
        """Codes are stored with their dot and in capitals."""
        assert (icd10.normalize("f331"), icd10.normalize("F33")) == ("F33.1", "F33")

    def test_block_of_a_code(self):
        """F33.1 sits in block F30-F39 (mood disorders)."""
        assert icd10.chapter_block("F33.1") == "F30-F39"


class TestTable:
    def test_the_tree_answers_as_the_library_does(self):
        """Every item's validity and leafness, and ancestry, are the library's own."""
        library = icd10.library()
        table = icd10.from_library()
        codes = library.get_all_codes(True)
        assert set(table.parent) == set(codes)
        assert [c for c in codes if table.is_leaf(c) != library.is_leaf(c)] == []
        for code in [*codes[::500], "B10", "B10.01", "F33.1"]:
            # The library names a block and its one same-named category twice; so once here.
            expected = [a for a in dict.fromkeys(library.get_ancestors(code)) if a != code]
            assert table.ancestors(code) == expected
        assert not table.is_valid("F99.99")
