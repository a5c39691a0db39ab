"""Every labelled bank submission gets exactly the verdicts its label promises."""
import pytest

from corpus import samples
from grader.grading import grade
from grader.results import Status

BANK = samples("bank")


def test_corpus_is_big_enough():
    assert len(BANK) >= 25
    assert sum(s.correct for s in BANK) >= 8
    assert {s.style for s in BANK} == {"contract", "program"}


@pytest.mark.parametrize("sample", BANK, ids=lambda s: s.name)
def test_sample_fails_exactly_what_its_label_says(rubric, sample):
    report = grade(rubric, "bank", sample.path)
    assert report.style == sample.style
    # judged and not passed: a failure, or the names check's note (0 points by default)
    failed = {c.id for c in report.checks if c.status in (Status.FAILED, Status.NOTE)}
    # a program without the contract's names loses the names check's point, nothing else
    names = {rubric.task("bank").names_check} if report.style == "program" else set()
    if sample.correct:
        assert failed == names, [c.message for c in report.checks if c.id in failed]
        lost = sum(c.max_score for c in report.checks if c.id in names)
        assert report.score >= report.max_score - lost
    else:
        not_passed = {c.id for c in report.checks if c.status != "passed"}
        assert sample.must_fail <= not_passed, f"missed: {sample.must_fail - not_passed}"
        expected = sample.must_fail | sample.may_fail | names
        assert failed <= expected, f"false failures: {failed - expected}"
