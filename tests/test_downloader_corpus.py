"""Grade every labelled downloader sample: correct ones fail nothing, buggy ones fail what
their header says they must, and nothing outside must_fail | may_fail.

The samples are graded two at a time (both cores busy), so a verdict that depends on how fast
the machine runs shows up here as a failure.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from corpus import Sample, samples
from grader.grading import grade
from grader.results import GradeReport
from grader.rubric import load_rubric

SAMPLES = samples("downloader")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeReport]:
    rubric = load_rubric()
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda s: (s.name, grade(rubric, "downloader", s.path)), SAMPLES)
        return dict(done)


def failures(report: GradeReport) -> set[str]:
    return {c.id for c in report.checks if c.status != "passed"}


def explain(report: GradeReport) -> str:
    return "\n".join(f"{c.id}: {c.status}: {c.message}" for c in report.checks)


def test_the_corpus_has_correct_buggy_contract_and_program_samples() -> None:
    assert any(s.correct for s in SAMPLES) and any(not s.correct for s in SAMPLES)
    assert {s.style for s in SAMPLES} == {"contract", "program"}


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_is_graded_as_labelled(sample: Sample, reports: dict[str, GradeReport]) -> None:
    report = reports[sample.name]
    assert report.error is None, report.error
    assert report.style == sample.style, (
        f"this {sample.style}-style sample was graded on the {report.style} track")
    failed = failures(report)
    # a program without download_pages fails the names check by design (0 points by default)
    names = {"api"} if report.style == "program" else set()
    if sample.correct:
        assert failed == names, explain(report)
        assert report.score >= report.max_score  # extra credit can add to it
    else:
        assert sample.must_fail <= failed, f"missed: {sample.must_fail - failed}\n{explain(report)}"
        allowed = sample.must_fail | sample.may_fail | names
        assert failed <= allowed, f"unexpected: {failed - allowed}\n{explain(report)}"
