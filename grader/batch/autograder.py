"""Gradescope's side of the bundle: grade /autograder/submission, write results.json.

    python3 -m grader.batch.autograder [--rubric R] [--task T ...] SUBMISSION_DIR RESULTS_JSON

Gradescope shows students only what is in results.json, and a missing or malformed file
shows them a bare "autograder failed". So this never exits without writing one: a student's
missing file is a failed test saying which name to use, and a failure of the grader itself is
a zero with a message to contact the instructor (and the traceback on stderr, which Gradescope
shows to instructors only).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from grader.batch.cache import engine_version
from grader.batch.discover import Discovery
from grader.batch.outputs.gradescope import results
from grader.batch.records import Found, GradeStatus, Student, StudentResult, TaskGrade
from grader.batch.stage import stage
from grader.grading import grade
from grader.presentation import nominal_maximum
from grader.rubric import load_rubric
from grader.sandbox import guards_the_grader, require_isolation


def grade_submission(submission: Path, rubric_path: str | None, tasks: list[str] | None,
                     allow_weak_isolation: bool = False) -> dict[str, Any]:
    # One submission per container: a dedicated uid is enough, the grader's own user is not.
    level = require_isolation("Gradescope", guards_the_grader, allow_weak_isolation)
    rubric = load_rubric(rubric_path)
    if level == "uid":  # no private root: the child's uid may read what others may read
        _protect(rubric.path.parent)
    names = tasks or list(rubric.tasks)
    specs = [rubric.task(t) for t in names]
    work = Path(tempfile.mkdtemp(prefix="grader-autograder-"))
    try:
        discovery = Discovery(specs, work / "extracted")
        found = Found("submission", "submission", "single")
        for spec in specs:
            discovery.find(submission, spec, found)
        discovery.settle([found])  # a misnamed upload (bank_final.py) is graded, saying so
        grades: dict[str, TaskGrade] = {}
        for spec in specs:
            full = nominal_maximum(spec)
            if spec.name not in found.files:
                why = found.unmatched.get(spec.name, f"no {spec.file} in your submission")
                grades[spec.name] = TaskGrade(spec.name, GradeStatus.MISSING, 0.0, full,
                                              note=f"{why}; upload a file named exactly {spec.file}")
                continue
            staged = stage(spec, found.files[spec.name], found.helpers.get(spec.name, []),
                           work / "staged", rubric.digest, engine_version())
            report = grade(rubric, spec.name, staged.main)
            grades[spec.name] = TaskGrade(spec.name, GradeStatus.GRADED, report.score, report.max_score, report,
                                          found.files[spec.name].name, staged.key,
                                          note="; ".join(n for n in (found.guessed.get(spec.name, ""),
                                                                     report.error or "") if n))
        return results(StudentResult(Student("submission", "submission"), grades), names)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _protect(folder: Path) -> None:
    """Make the rubric's folder (Gradescope's /autograder/source: the rubric, the instructor's
    test files) unreadable to other users, so a child running as a dedicated uid without a
    private root cannot read it. The child itself needs none of it (it imports the grader's
    boot copy and gets its parameters over stdin)."""
    try:
        if os.geteuid() == 0 and folder.resolve() != Path("/"):
            os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) & ~0o077)
    except OSError as exc:
        print(f"warning: {folder}: could not make it private ({exc})", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m grader.batch.autograder", description=__doc__)
    parser.add_argument("submission", help="the student's submission folder (/autograder/submission)")
    parser.add_argument("results", help="where to write results.json (/autograder/results/results.json)")
    parser.add_argument("--rubric", help="rubric file (default: the bundled rubric.yaml)")
    parser.add_argument("--task", action="append", dest="tasks", help="task(s) to grade (default: all)")
    parser.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade even where the child would run as the grader's own user")
    args = parser.parse_args(argv)
    try:
        data = grade_submission(Path(args.submission), args.rubric, args.tasks, args.allow_weak_isolation)
    except Exception as exc:  # anything at all: the student must still get a readable result
        traceback.print_exc()
        data = {"score": 0.0, "output": "The autograder could not grade this submission "
                                        f"({type(exc).__name__}: {exc}). Please tell your instructor.",
                "stdout_visibility": "hidden", "tests": []}
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    from grader.reports import clean

    data = clean.data(data)  # every string cleaned where it is written, as in the batch's results.json
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(data.get("output", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
