"""Grade every labelled downloader sample: correct ones fail nothing, buggy ones fail what
their header says they must, and nothing outside must_fail | may_fail.

The samples are graded two at a time (both cores busy), so a verdict that depends on how fast
the machine runs shows up here as a failure.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from corpus import Sample, samples
from grader.grading import GradeReport, grade
from grader.rubric import DEFAULT_RUBRIC, Rubric, load_rubric

BLOCK = Path(__file__).resolve().parent.parent / "bench" / "downloader_rubric_block.yaml"
SAMPLES = samples("downloader")


def downloader_rubric(tmp_dir: Path) -> Rubric:
    """The default rubric if it already grades the downloader, else it plus bench's block."""
    default = load_rubric()
    if "downloader" in default.tasks:
        return default
    path = tmp_dir / "rubric.yaml"
    path.write_text(DEFAULT_RUBRIC.read_text(encoding="utf-8").rstrip("\n") + "\n"
                    + BLOCK.read_text(encoding="utf-8"), encoding="utf-8")
    return load_rubric(path)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeReport]:
    rubric = downloader_rubric(tmp_path_factory.mktemp("rubric"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda s: (s.name, grade(rubric, "downloader", s.path)), SAMPLES)
        return dict(done)


def failures(report: GradeReport) -> set[str]:
    return {c.id for c in report.checks if c.status != "passed"}


def explain(report: GradeReport) -> str:
    return "\n".join(f"{c.id}: {c.status}: {c.message}" for c in report.checks)


def test_the_corpus_has_correct_buggy_and_script_samples() -> None:
    assert any(s.correct for s in SAMPLES) and any(not s.correct for s in SAMPLES)
    assert {s.style for s in SAMPLES} == {"contract", "script"}


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_is_graded_as_labelled(sample: Sample, reports: dict[str, GradeReport]) -> None:
    report = reports[sample.name]
    assert report.error is None, report.error
    assert report.style == sample.style, (
        f"grader.submission.classify graded this {sample.style}-style sample as "
        f"{report.style}-style")
    failed = failures(report)
    if sample.correct:
        assert failed == set(), explain(report)
        assert report.score == report.max_score
    else:
        assert sample.must_fail <= failed, f"missed: {sample.must_fail - failed}\n{explain(report)}"
        allowed = sample.must_fail | sample.may_fail
        assert failed <= allowed, f"unexpected: {failed - allowed}\n{explain(report)}"
