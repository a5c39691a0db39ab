"""Flagged grades are withheld from the gradebooks until the instructor decides (--overrides)."""
import csv

import pytest

from conftest import ROOT
from grader.batch.app import BatchOptions, run_batch
from grader.cli import main
from grader.errors import GraderError

REFERENCE = (ROOT / "reference" / "bank.py").read_text()
FLAGGED = REFERENCE + "\nimport sys\n_here = sys._getframe()\n"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    base = tmp_path_factory.mktemp("overrides")
    for key, source in (("alice", REFERENCE), ("mallory", FLAGGED)):
        (base / "class" / key).mkdir(parents=True)
        (base / "class" / key / "bank.py").write_text(source)
    return base


def batch(rubric, klass, overrides=None, tag="plain"):
    out = klass / f"out-{tag}"
    options = BatchOptions(tasks=["bank"], out=out, jobs=1, progress=False, formats=["csv"],
                           cache_dir=klass / "cache", overrides=overrides)
    result, _ = run_batch(klass / "class", rubric, options)
    rows = {r[0]: r for r in csv.reader((out / "grades.csv").read_text().splitlines())}
    return result, rows


def full_marks(rubric):
    """The bank's maximum as the gradebook writes it."""
    return f"{rubric.task('bank').max_score('contract'):g}"


def grade_of(result, key):
    return next(s for s in result.students if s.student.key == key).grades["bank"]


def test_a_flagged_grade_is_withheld_and_says_why(rubric, klass):
    result, rows = batch(rubric, klass)
    mallory = grade_of(result, "mallory")
    assert any("sys._getframe" in reason for reason in mallory.needs_review)
    assert grade_of(result, "alice").needs_review == []
    assert "" in rows["mallory"][1:] and full_marks(rubric) in rows["alice"][1:]


def test_released_and_overridden_grades_reach_the_gradebook(rubric, klass):
    decisions = klass / "decisions.csv"
    decisions.write_text("student,task,decision,note\nmallory,bank,release,debug helper only\n")
    result, rows = batch(rubric, klass, decisions, "released")
    mallory = grade_of(result, "mallory")
    assert mallory.needs_review == [] and "released" in mallory.decision
    assert full_marks(rubric) in rows["mallory"][1:]
    decisions.write_text("student,task,decision,note\nmallory,bank,4,\nnobody,bank,release,\n")
    result, rows = batch(rubric, klass, decisions, "set")
    assert grade_of(result, "mallory").score == 4 and "4" in rows["mallory"][1:]
    assert any("nobody" in w and "not applied" in w for w in result.warnings)


def test_a_malformed_overrides_file_is_one_line_naming_the_line(rubric, klass, capsys):
    decisions = klass / "bad.csv"
    decisions.write_text("student,task,decision\nmallory,bank,maybe\n")
    code = main(["batch", str(klass / "class"), "--task", "bank", "--out", str(klass / "out-bad"),
                 "--overrides", str(decisions), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1
    assert f"{decisions}:2" in err[0] and "release" in err[0]
    with pytest.raises(GraderError, match="no column 'student'"):
        from grader.batch.overrides import load_overrides
        (klass / "nohead.csv").write_text("who,what\n")
        load_overrides(klass / "nohead.csv")
