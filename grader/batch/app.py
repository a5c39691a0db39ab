"""`run_batch`: a class folder in, grades and gradebook files out.

Discover the submissions, match them to the roster, stage each, grade what the cache does not
already know (in parallel), assemble one row per student and task, and let each output module
write its files: one function per step (`_setup`, `_discover`, `_stage_all`, `_grade_jobs`,
`_collect`, `_class_warnings`), `run_batch` reads as the list of them. Everything is sorted, so
the same inputs give the same files.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from grader.batch.cache import Cache, engine_version
from grader.batch.cluster import ClusterTarget
from grader.batch.discover import Discovery
from grader.batch.naming import display_name
from grader.batch.outputs import OUTPUTS, load_outputs
from grader.batch.overrides import Decision, apply_overrides, load_overrides
from grader.batch.progress import Progress
from grader.batch.records import (BatchResult, BatchStats, Found, GradeStatus, Student, StudentResult,
                                  TaskGrade)
from grader.batch.roster import Roster, assignment_titles, load_roster
from grader.batch.runner import Job, Outcome, run_jobs
from grader.batch.stage import Staged, stage
from grader.errors import GraderError
from grader.presentation import nominal_maximum
from grader.rubric import Rubric, TaskSpec
from grader.sandbox import keeps_students_apart, require_isolation

NO_SUBMISSION = "no submission"


@dataclass
class BatchOptions:
    tasks: list[str] | None = None  # default: every task of the rubric
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    out: Path | None = None  # default: <source>-grades next to the source
    roster: Path | None = None
    force: bool = False
    layout: str = "auto"
    titles: dict[str, str] = field(default_factory=dict)  # task -> gradebook column title
    formats: list[str] | None = None  # default: every registered output
    cache_dir: Path | None = None  # default: <out>/.cache
    progress: bool = True
    workflow: Path | None = None  # the CI workflow every Classroom repository should carry unchanged
    overrides: Path | None = None  # the instructor's decisions on flagged grades (grader.batch.overrides)
    stream: TextIO | None = None  # where progress and warnings go (default: stderr)
    allow_weak_isolation: bool = False  # grade even where the sandbox cannot keep students apart
    cluster: ClusterTarget | None = None  # grade on Dask (grader.batch.cluster) instead of the thread pool


def default_out(source: Path) -> Path:
    source = source.resolve()
    stem = source.stem if source.suffix.lower() == ".zip" else source.name
    return source.parent / f"{stem}-grades"


def _student(found: Found, roster: Roster | None, used: set[int], warnings: list[str]) -> Student:
    if roster is not None:
        index = roster.match(found)
        if index is not None and index not in used:
            used.add(index)
            match = roster.students[index]
            if not match.canvas_id and found.layout == "canvas":
                match = replace(match, canvas_id=found.lms_id)
            if not match.moodle_id and found.layout == "moodle":
                match = replace(match, moodle_id=found.lms_id)
            return match
        if index is not None:
            warnings.append(f"{found.key}: matches roster student {roster.students[index].key}, "
                            "who already has a submission; graded as a separate row")
        else:
            warnings.append(f"{found.key} ({found.name}): not on the roster; graded anyway")
    _, sortable = display_name(found.name) if found.layout == "canvas" else (found.name, found.name)
    return Student(key=found.key, name=found.name, email=found.email,
                   canvas_id=found.lms_id if found.layout == "canvas" else "",
                   moodle_id=found.lms_id if found.layout == "moodle" else "", sortable_name=sortable)


def _unique_keys(pairs: list[tuple[Student, Found | None]]) -> list[tuple[Student, Found | None]]:
    """Every row gets its own key (a key names the student's feedback and results files): a
    submission whose id collides with another row's gets `~2`, `~3`, ..."""
    seen: set[str] = set()
    result = []
    for student, found in pairs:
        key, n = student.key, 1
        while key.lower() in seen:
            n += 1
            key = f"{student.key}~{n}"
        seen.add(key.lower())
        result.append((replace(student, key=key) if key != student.key else student, found))
    return result


def _check_workflows(found_all: list[Found], template: Path) -> None:
    """Note every repository whose grading workflow is not the course's template: its CI points
    were computed by a workflow the student could have changed."""
    from grader.ci.templates import workflow_problem

    try:
        expected = template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(f"{template}: cannot read the workflow template ({type(exc).__name__}); "
                          "give the file grader init-ci wrote") from None
    for found in found_all:
        if found.root is not None and found.root.is_dir():
            problem = workflow_problem(found.root, expected)
            if problem:
                found.notes.append(problem)


@dataclass
class _Setup:
    """What the checks before any work settle: the formats to write, the output folder, its
    scratch folder (emptied), the cache and the engine version every cache key names."""

    formats: list[str]
    out: Path
    work: Path
    cache: Cache
    engine: str


@dataclass
class _Class:
    """The class as discovered: every row (a student and their files, or a roster student with
    none) and what the gradebook needs to know about the tasks."""

    layout: str
    folder: Path  # the folder actually read (a zip's contents, unwrapped)
    specs: list[TaskSpec]  # without --task: the tasks somebody submitted
    pairs: list[tuple[Student, Found | None]]
    titles: dict[str, str]
    roster: Roster | None
    decisions: list[Decision]
    warnings: list[str]


@dataclass
class _Staging:
    """Every submission copied aside, keyed (student key, task), and the gradings they need:
    identical files share one job (one grading, several rows)."""

    staged: dict[tuple[str, str], Staged] = field(default_factory=dict)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)  # files that could not be read
    jobs: dict[str, Job] = field(default_factory=dict)


def _setup(source: Path, options: BatchOptions) -> _Setup:
    """Refuse what cannot work before doing anything (an unknown format, a missing source, Dask
    not installed, outputs inside the submissions), then prepare the output folder."""
    load_outputs()
    formats = options.formats or sorted(OUTPUTS)
    unknown = [f for f in formats if f not in OUTPUTS]
    if unknown:
        raise GraderError(f"--formats: unknown format {unknown[0]!r}; use some of {', '.join(sorted(OUTPUTS))}")
    if not source.exists():
        raise GraderError(f"{source}: no such folder or zip archive; give the folder of submissions")
    if options.cluster is not None:  # say it before any work: Dask is an optional extra
        from grader.batch.cluster import distributed_module

        distributed_module()
    out = (options.out or default_out(source)).resolve()
    if source.resolve() == out or out in source.resolve().parents:
        raise GraderError(f"{out}: the output folder must not contain the submissions; pass --out elsewhere")
    # an output folder inside the class folder is skipped when looking for students
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    (work / "staged").mkdir(parents=True)
    return _Setup(formats, out, work, Cache(options.cache_dir or out / ".cache"), engine_version())


def _discover(source: Path, specs: list[TaskSpec], options: BatchOptions, setup: _Setup) -> _Class:
    """Find the submissions, match each to the roster (a roster student without one still gets
    a row), and give every row its own key."""
    roster = load_roster(options.roster) if options.roster else None
    decisions = load_overrides(options.overrides) if options.overrides is not None else []
    discovery = Discovery(specs, setup.work / "extracted", roster.github_users() if roster else frozenset(),
                          exclude=frozenset({setup.out}), infer_tasks=not options.tasks)
    layout, folder, found_all = discovery.run(source, options.layout)
    warnings = list(discovery.warnings)
    specs = discovery.tasks
    titles = assignment_titles(roster, [(t.name, t.file) for t in specs], options.titles, warnings)
    if options.workflow is not None:
        _check_workflows(found_all, options.workflow)
    used: set[int] = set()
    pairs: list[tuple[Student, Found | None]] = [(_student(f, roster, used, warnings), f) for f in found_all]
    if roster is not None:
        pairs += [(s, None) for i, s in enumerate(roster.students) if i not in used]
    return _Class(layout, folder, specs, _unique_keys(pairs), titles, roster, decisions, warnings)


def _stage_all(klass: _Class, rubric: Rubric, setup: _Setup) -> _Staging:
    """Copy each submitted task aside under the hash of its files; one job per distinct hash."""
    staging = _Staging()
    for student, found in klass.pairs:
        for task in klass.specs:
            if found is None or task.name not in found.files:
                continue
            try:
                staging.staged[student.key, task.name] = stage(task, found.files[task.name],
                                                               found.helpers.get(task.name, []),
                                                               setup.work / "staged", rubric.digest, setup.engine)
            except OSError as exc:
                staging.errors[student.key, task.name] = f"cannot read the submitted files ({exc})"
    counts: dict[str, int] = {}
    for item in staging.staged.values():
        counts[item.key] = counts.get(item.key, 0) + 1
    for (_, task_name), item in sorted(staging.staged.items()):
        staging.jobs.setdefault(item.key, Job(item.key, task_name, item.main, counts[item.key]))
    return staging


def _grade_jobs(rubric: Rubric, staging: _Staging, cache: Cache, options: BatchOptions,
                stream: TextIO) -> dict[str, Outcome]:
    """Grade what the cache does not know, on the thread pool or on the cluster."""
    if staging.staged and options.cluster is None:  # probe once, before the threads start; refuse a
        # sandbox that mixes students (a cluster's workers are probed where they grade)
        require_isolation("grading a class", keeps_students_apart, options.allow_weak_isolation)
    progress = Progress(len(staging.staged), options.jobs, stream, options.progress and bool(staging.staged))
    ordered = sorted(staging.jobs.values(), key=lambda j: (j.task, j.key))
    if options.cluster is None:
        return run_jobs(rubric, ordered, cache, options.jobs, options.force, progress)
    from grader.batch import cluster

    return cluster.run_jobs(rubric, ordered, cache, options.force, progress, options.cluster,
                            options.allow_weak_isolation, stream)


def _task_grade(task: TaskSpec, student: Student, found: Found | None, folder: Path, staging: _Staging,
                outcomes: dict[str, Outcome]) -> TaskGrade:
    """One cell of the gradebook: graded, or why not (unreadable, unmatched, missing, broken)."""
    full = nominal_maximum(task)
    pair = (student.key, task.name)
    source_name = ""
    if found is not None and task.name in found.files:
        try:
            source_name = str(found.files[task.name].relative_to(folder))
        except ValueError:
            source_name = found.files[task.name].name
    if pair in staging.errors:
        return TaskGrade(task.name, GradeStatus.BROKEN, 0.0, full, source=source_name, note=staging.errors[pair])
    if pair not in staging.staged and found is not None and task.name in found.unmatched:
        return TaskGrade(task.name, GradeStatus.UNMATCHED, 0.0, full, note=found.unmatched[task.name])
    if pair not in staging.staged:
        note = NO_SUBMISSION if found is None or not found.files else f"no {task.file} in the submission"
        return TaskGrade(task.name, GradeStatus.MISSING, 0.0, full, note=note)
    item = staging.staged[pair]
    outcome = outcomes[item.key]
    if outcome.report is None:
        return TaskGrade(task.name, GradeStatus.BROKEN, 0.0, full, source=source_name, key=item.key,
                         note=outcome.error)
    report = outcome.report
    guessed = found.guessed.get(task.name, "") if found is not None else ""
    return TaskGrade(task.name, GradeStatus.GRADED, report.score, report.max_score, report, source_name,
                     item.key, outcome.cached, "; ".join(x for x in (guessed, report.error or "") if x))


def _collect(klass: _Class, staging: _Staging, outcomes: dict[str, Outcome]) -> list[StudentResult]:
    """One row per student, sorted by name, with every task's cell."""
    students: list[StudentResult] = []
    for student, found in klass.pairs:
        grades = {task.name: _task_grade(task, student, found, klass.folder, staging, outcomes)
                  for task in klass.specs}
        notes = list(found.notes) if found else []
        students.append(StudentResult(student, grades, bool(found and found.late),
                                      found.layout if found else "", notes))
    students.sort(key=lambda s: ((s.student.sortable_name or s.student.name).lower(), s.student.key))
    return students


def _class_warnings(specs: list[TaskSpec], students: list[StudentResult], warnings: list[str]) -> None:
    """What the instructor should know about the class as a whole: cells graded out of another
    maximum than the gradebook column, and identical submissions."""
    for task in specs:
        full = nominal_maximum(task)
        odd = sorted({g.max_score for s in students for g in [s.grades[task.name]] if g.max_score != full})
        if odd:
            warnings.append(f"{task.name}: some submissions are graded out of "
                            f"{', '.join(f'{m:g}' for m in odd)} (their style's checks, or a grader error "
                            "left out), the gradebook "
                            f"column out of {full:g}")
    for task in specs:
        groups: dict[str, list[str]] = {}
        for row in students:
            grade = row.grades[task.name]
            if grade.key:
                groups.setdefault(grade.key, []).append(row.student.key)
        for keys in sorted(g for g in groups.values() if len(g) > 1):
            warnings.append(f"{task.name}: identical submissions from {', '.join(keys)} "
                            "(the same files; check for copying, or an unchanged starter)")


def _stats(staging: _Staging, outcomes: dict[str, Outcome], students: list[StudentResult]) -> BatchStats:
    return BatchStats(
        submissions=len(staging.staged),
        gradings=sum(1 for o in outcomes.values() if not o.cached),
        cached=sum(1 for o in outcomes.values() if o.cached),
        shared=len(staging.staged) - len(staging.jobs),
        failed=sum(1 for s in students for g in s.grades.values() if g.status == GradeStatus.BROKEN),
    )


def run_batch(source: Path, rubric: Rubric, options: BatchOptions) -> tuple[BatchResult, list[Path]]:
    """Discover, stage, grade (what the cache lacks), collect one row per student, write every
    format; the scratch folder is removed afterwards."""
    started = time.monotonic()
    stream = options.stream if options.stream is not None else sys.stderr
    specs = [rubric.task(t) for t in options.tasks or list(rubric.tasks)]  # an unknown task: first
    setup = _setup(source, options)
    klass = _discover(source, specs, options, setup)
    staging = _stage_all(klass, rubric, setup)
    outcomes = _grade_jobs(rubric, staging, setup.cache, options, stream)
    students = _collect(klass, staging, outcomes)
    if options.overrides is not None:
        apply_overrides(students, klass.decisions, options.overrides, klass.warnings)
    _class_warnings(klass.specs, students, klass.warnings)
    stats = _stats(staging, outcomes, students)
    tasks = [t.name for t in klass.specs]
    result = BatchResult(rubric, tasks, students, klass.layout, source, setup.engine, klass.warnings, stats,
                         {t: klass.titles.get(t, t) for t in tasks}, klass.roster is not None, setup.out)
    written: list[Path] = []
    for name in setup.formats:
        written += OUTPUTS[name](result, setup.out)
    shutil.rmtree(setup.work, ignore_errors=True)
    stats.seconds = round(time.monotonic() - started, 3)
    return result, written
