"""The cloned-note measure: 3-shingle Jaccard over the individual text, names removed."""

from __future__ import annotations

from rules import similarity


class TestShingles:
    def test_case_digits_and_dropped_names_are_ignored(self):
        """Names in the drop list, numbers and case do not count."""
        a = similarity.shingles(
            "Marisol rated anxiety 7 of 10 and Practised Breathing", drop=["Marisol"]
        )
        b = similarity.shingles(
            "tobias rated anxiety 3 of 10 and practised breathing", drop=["Tobias"]
        )
        assert a == b

    def test_short_text_is_one_shingle(self):
        """Two words make one (short) shingle; nothing makes none."""
        assert similarity.shingles("calm today") == frozenset({("calm", "today")})
        assert similarity.shingles("") == frozenset()


class TestJaccard:
    def test_identical_texts_score_one(self):
        """A copy scores 1.0."""
        s = similarity.shingles("described cravings on the weekend and the plan used")
        assert similarity.jaccard(s, s) == 1.0

    def test_one_shared_phrase_scores_low(self):
        """Notes that share one stock phrase of four are far below the 0.8 threshold."""
        a = similarity.shingles("shared a recent setback at work; set a concrete goal for the week")
        b = similarity.shingles("was tearful about a loss; set a concrete goal for the week")
        assert 0 < similarity.jaccard(a, b) < 0.5

    def test_empty_texts_are_not_alike(self):
        """Two notes with no individual text are a documentation problem, not clones."""
        assert similarity.jaccard(frozenset(), frozenset()) == 0.0
