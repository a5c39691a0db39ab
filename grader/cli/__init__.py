"""The `grader` command line: check, batch, doctor, init-ci, gradescope-bundle.

    here.py  what a report says where `grader check` ran: commands as typed, syntax carets
    live.py  the progress line on a terminal while a check runs
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Callable, ContextManager

from grader import __version__
from grader.errors import GraderError

if TYPE_CHECKING:
    from pathlib import Path

    from grader.presentation import TaskView
    from grader.results import GradeReport
    from grader.rubric import Rubric, TaskSpec


COMMANDS = ("check", "batch", "gradescope-bundle", "init-ci", "doctor")


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. When the first argument names a command, only that command's
    parser is built: each one imports what its options list (report formats, batch layouts and
    outputs, CI templates, doctor), and `grader check` should not pay for batch's or CI's imports
    before it starts grading. Anything else (`--help`, `--version`, a typo) gets every command."""
    args = sys.argv[1:] if argv is None else argv
    only = args[0] if args and args[0] in COMMANDS else None
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    builders = {"check": _check_parser, "batch": _batch_parser, "gradescope-bundle": _bundle_parser,
                "init-ci": _init_ci_parser, "doctor": _doctor_parser}
    for name in COMMANDS:
        if only is None or name == only:
            builders[name](sub)
    return parser


def _doctor_parser(sub: argparse._SubParsersAction) -> None:
    from grader.batch.doctor import add_parser

    add_parser(sub)


def _check_parser(sub: argparse._SubParsersAction) -> None:
    from grader.reports import load_formats

    check = sub.add_parser(
        "check", help="grade your bank.py and/or downloader.py and print a report",
        description="Grade submissions as the instructor's rubric does. With no PATH, grades "
                    "every file of the rubric (bank.py, downloader.py) found in this folder. "
                    "Exit code: 0 at full marks (or at --fail-under), 1 below it or when flagged "
                    "for review, 2 for a usage or input error.")
    check.add_argument("items", nargs="*", metavar="PATH",
                       help="your .py file(s) or a folder holding them (the task comes from the file "
                            "name); `TASK PATH` also works")
    check.add_argument("--task", help="the task, when the file is not named as the rubric says")
    check.add_argument("--check", dest="only", metavar="ID",
                       help="run only this check (and the checks it depends on)")
    check.add_argument("--fail-under", metavar="N|N%",
                       help="exit 0 from this many points (or percent of the maximum) on; default: full marks")
    check.add_argument("--staff", action="store_true",
                       help="show every check, hidden ones included (the instructor's view)")
    check.add_argument("--rubric", help="rubric file (default: the bundled rubric.yaml)")
    check.add_argument("--format", default="text", choices=sorted(load_formats()))
    check.add_argument("--color", default="auto", choices=("auto", "always", "never"),
                       help="colour the text report (auto: on a terminal, unless NO_COLOR is set)")
    check.add_argument("--seed", type=int, help="schedule seed to replay (default: from the file's content)")
    check.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML (CI test reports)")
    check.add_argument("--github", action="store_true",
                       help="in a GitHub Actions job: write the job summary, annotations on your lines "
                            "and the GitHub Classroom result (step output `result`)")


def _batch_parser(sub: argparse._SubParsersAction) -> None:
    from grader.batch.discover import LAYOUTS
    from grader.batch.outputs import load_outputs

    batch = sub.add_parser(
        "batch", help="grade a whole class: a folder or zip of submissions -> gradebook files",
        description="Grade every submission in a folder (or zip) in parallel and write canvas.csv, "
                    "grades.csv, grades.json, junit.xml, report.html, feedback/<student>.md and "
                    "gradescope/<student>/results.json. Re-running skips unchanged submissions.")
    batch.add_argument("path", help="folder or zip of submissions (a folder per student, a Canvas or "
                                    "Moodle download, GitHub Classroom clones)")
    batch.add_argument("--task", action="append", dest="tasks", metavar="TASK",
                       help="grade only this task (repeatable; default: every task of the rubric)")
    batch.add_argument("--jobs", "-j", type=int, help="submissions graded at once (default: the number of cores)")
    batch.add_argument("--out", "-o", help="output folder (default: <path>-grades next to the path)")
    batch.add_argument("--roster", help="roster CSV (Canvas/Moodle export, GitHub Classroom roster, or id,name,email)")
    batch.add_argument("--force", action="store_true", help="regrade everything, ignoring the cache")
    batch.add_argument("--cache", help="cache folder (default: <out>/.cache); share one between runs "
                                       "over the same submissions, e.g. per section")
    batch.add_argument("--layout", default="auto", choices=LAYOUTS, help="submission layout (default: detected)")
    batch.add_argument("--assignment", action="append", default=[], metavar="TASK=TITLE",
                       help="gradebook column title of a task, e.g. bank='Bank account (12345)' "
                            "(Canvas matches the number in parentheses)")
    batch.add_argument("--formats", help="comma-separated outputs (default: all of "
                                         f"{', '.join(sorted(load_outputs()))})")
    batch.add_argument("--rubric", help="rubric file (default: the bundled rubric.yaml)")
    batch.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    batch.add_argument("--overrides", help="CSV of decisions on flagged grades (student,task,decision,note; "
                                           "decision: release or a score), applied to every output")
    batch.add_argument("--workflow", help="the workflow grader init-ci wrote: flag every GitHub Classroom "
                                          "repository whose .github/workflows/grade.yml differs from it")
    batch.add_argument("--allow-weak-isolation", action="store_true",
                       help="grade even where the sandbox cannot keep students apart (no bubblewrap)")
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--cluster", metavar="ADDRESS",
                       help="grade on the Dask scheduler at ADDRESS (e.g. tcp://host:8786); needs "
                            "pip install 'grader[cluster]' here and on every worker")
    where.add_argument("--workers", type=int, metavar="N",
                       help="grade on a local Dask cluster of N processes (default: the thread pool)")


def _bundle_parser(sub: argparse._SubParsersAction) -> None:
    bundle = sub.add_parser(
        "gradescope-bundle", help="write a Gradescope autograder zip (setup.sh, run_autograder)",
        description="Write a zip to upload as a Gradescope programming assignment's autograder: it "
                    "installs this grader and grades /autograder/submission into results.json.")
    bundle.add_argument("--task", action="append", dest="tasks", metavar="TASK",
                        help="task(s) the assignment covers (default: every task of the rubric)")
    bundle.add_argument("--rubric", help="rubric file to bundle (default: the bundled rubric.yaml)")
    bundle.add_argument("--output", "-o", default="autograder.zip", help="zip to write (default: autograder.zip)")


def _init_ci_parser(sub: argparse._SubParsersAction) -> None:
    from grader.ci.templates import DEFAULT_SOURCE

    init = sub.add_parser(
        "init-ci", help="write the CI workflow that grades a student repository on every push",
        description="Write .github/workflows/grade.yml (or .gitlab-ci.yml with --gitlab) into a "
                    "student (or template) repository. The workflow installs the grader and the "
                    "rubric from the course's source at a pinned ref, so nothing the student edits "
                    "decides the grade; CI points are feedback, `grader batch` makes the grade of record.")
    init.add_argument("folder", nargs="?", default=".", help="the repository (default: this folder)")
    init.add_argument("--source", default=DEFAULT_SOURCE,
                      help=f"pip-installable URL of the course's grader (default: {DEFAULT_SOURCE})")
    init.add_argument("--ref", help="tag or commit of the source to pin (default: v<this version>)")
    init.add_argument("--rubric", help="rubric path inside the source repository or an https URL "
                                       "(default: the rubric bundled with the grader)")
    init.add_argument("--task", action="append", dest="tasks", metavar="TASK",
                      help="task(s) the repository holds (default: every task found at grading time)")
    init.add_argument("--gitlab", action="store_true", help="write .gitlab-ci.yml instead")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--no-check-ref", dest="check_ref", action="store_false",
                      help="do not ask the source (git ls-remote) whether --ref exists (offline)")


def _titles(pairs: list[str]) -> dict[str, str]:
    titles = {}
    for pair in pairs:
        task, sep, title = pair.partition("=")
        if not sep or not task.strip() or not title.strip():
            raise GraderError(f"--assignment {pair!r}: expected TASK=TITLE, e.g. bank='Bank account (12345)'")
        titles[task.strip()] = title.strip()
    return titles


def _batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from grader.batch.app import BatchOptions, run_batch
    from grader.batch.records import GradeStatus
    from grader.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    if args.jobs is not None and args.jobs < 1:
        raise GraderError(f"--jobs {args.jobs}: give at least 1")
    titles = _titles(args.assignment)
    for task in list(titles) + list(args.tasks or []):
        rubric.task(task)
    options = BatchOptions(tasks=args.tasks, out=Path(args.out) if args.out else None,
                           roster=Path(args.roster) if args.roster else None, force=args.force,
                           layout=args.layout, titles=titles, progress=not args.quiet,
                           cache_dir=Path(args.cache) if args.cache else None,
                           workflow=Path(args.workflow) if args.workflow else None,
                           overrides=Path(args.overrides) if args.overrides else None,
                           formats=[f.strip() for f in args.formats.split(",") if f.strip()]
                           if args.formats else None)
    if args.jobs:
        options.jobs = args.jobs
    options.allow_weak_isolation = args.allow_weak_isolation
    if args.cluster or args.workers is not None:
        from grader.batch.cluster import ClusterTarget

        if args.workers is not None and args.workers < 1:
            raise GraderError(f"--workers {args.workers}: give at least 1")
        if args.jobs is not None:
            raise GraderError("--jobs sizes the thread pool; on a Dask cluster its workers' threads "
                              "decide how many are graded at once: drop --jobs")
        options.cluster = ClusterTarget(args.cluster, args.workers or 0)
    result, written = run_batch(Path(args.path), rubric, options)
    from grader.reports import clean

    for warning in result.warnings:  # they name students' folders and files
        print(f"grader: warning: {clean.text(warning)}", file=sys.stderr)
    stats = result.stats
    grades = [g for s in result.students for g in s.grades.values()]
    missing = sum(1 for g in grades if g.status == GradeStatus.MISSING)
    unmatched = sum(1 for g in grades if g.status == GradeStatus.UNMATCHED)
    broken = sum(1 for g in grades if g.report is not None and g.report.error)
    review = sum(1 for g in grades if g.needs_review)
    print(f"{len(result.students)} students ({result.layout} layout), {stats.submissions} submissions: "
          f"{stats.gradings} graded, {stats.cached} from the cache, {stats.shared} identical to another; "
          f"{missing} missing, "
          + (f"{unmatched} could not match a file (see grades.csv), " if unmatched else "")
          + f"{broken} could not run, {review} need review, {stats.failed} grader errors; "
          f"{stats.seconds:.1f} s")
    out = result.out
    groups: dict[str, int] = {}
    for path in written:
        rel = path.relative_to(out) if out else path
        head = rel.parts[0] + ("/" if len(rel.parts) > 1 else "")
        groups[head] = groups.get(head, 0) + 1
    print(f"outputs in {out}: " + ", ".join(h + (f" ({n} files)" if h.endswith("/") else "")
                                            for h, n in sorted(groups.items())))
    return 0


def _init_ci(args: argparse.Namespace) -> int:
    from pathlib import Path

    from grader.ci.templates import CiOptions, write_template

    path = write_template(Path(args.folder), CiOptions(source=args.source, ref=args.ref, rubric=args.rubric,
                                                      tasks=args.tasks or [], gitlab=args.gitlab,
                                                      check_ref=args.check_ref),
                          force=args.force)
    print(f"{path}: commit it; every push is graded (CI points are feedback, the grade of record "
          "comes from grader batch)")
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from pathlib import Path

    from grader.batch.bundle import write_bundle
    from grader.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    tasks = args.tasks or list(rubric.tasks)
    for task in tasks:
        rubric.task(task)
    path = write_bundle(Path(args.output), rubric, tasks)
    print(f"{path}: upload it as the autograder of a Gradescope programming assignment "
          f"(tasks: {', '.join(tasks)}; students submit {', '.join(rubric.task(t).file for t in tasks)})")
    return 0


def fail_under(text: str | None) -> tuple[float, bool] | None:
    """`--fail-under 12` (points) or `--fail-under 80%` (of the maximum)."""
    if text is None:
        return None
    number, percent = (text[:-1], True) if text.strip().endswith("%") else (text, False)
    try:
        value = float(number)
    except ValueError:
        raise GraderError(f"--fail-under {text!r}: give points (e.g. 12) or a percentage (e.g. 80%)") from None
    if value < 0 or (percent and value > 100):
        raise GraderError(f"--fail-under {text!r}: give points >= 0 or a percentage from 0 to 100%")
    return value, percent


def passes(views: list[TaskView], threshold: tuple[float, bool] | None) -> bool:
    """Exit 0 only at full marks of what was graded (or at the threshold), nothing flagged."""
    if any(v.error or v.needs_review for v in views):
        return False
    score = sum(v.score + v.bonus for v in views)
    maximum = sum(v.maximum for v in views)
    if threshold is None:
        return all(v.full_marks for v in views)
    value, percent = threshold
    if percent:
        return maximum == 0 or score * 100 >= value * maximum - 1e-9
    return score >= value - 1e-9


def _only(rubric: Rubric, task: str, check_id: str) -> Rubric:
    """The rubric with `task` cut down to one check and what it depends on."""
    from dataclasses import replace

    spec = rubric.task(task)
    by_id = {c.id: c for c in spec.checks}
    if check_id not in by_id:
        raise GraderError(f"--check {check_id}: no such check in task {task} (checks: "
                          f"{', '.join(by_id)})")
    keep: set[str] = set()
    todo = [check_id]
    while todo:
        cid = todo.pop()
        if cid not in keep:
            keep.add(cid)
            todo += list(by_id[cid].depends)
    checks = tuple(c for c in spec.checks if c.id in keep)
    return replace(rubric, tasks={**rubric.tasks, task: replace(spec, checks=checks)})


def _progress(task: "TaskSpec", path: "Path", args: argparse.Namespace) -> ContextManager[object]:
    """Check-by-check progress on stderr when it is a terminal (never when piped, nor in CI)."""
    from contextlib import ExitStack

    from grader.cli.live import CheckProgress, wants_progress
    from grader.sandbox import events

    stack = ExitStack()
    if wants_progress(sys.stderr) and not args.github:
        progress = stack.enter_context(CheckProgress(task, str(path), sys.stderr))
        stack.enter_context(events.listening(progress.begin))
    return stack


def _expected(rubric: Rubric | None, task: str | None) -> list[tuple[str, str, float]]:
    """(task, file, the maximum a student's check counts) of what `grader check` looks for."""
    if rubric is None:
        return []
    names = [task] if task in rubric.tasks else list(rubric.tasks)
    expected = []
    for name in names:
        spec = rubric.task(name)
        checks = spec.checks_for("contract")
        expected.append((name, spec.file, sum(c.points for c in checks
                                                if not c.bonus and c.visibility == "visible")))
    return expected


def _check(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from grader.cli.here import localised, replay_command
    from grader.presentation import SELF_CHECK, STAFF, view
    from grader.reports.text import render_view, wants_colour
    from grader.rubric import load_rubric
    from grader.submission.targets import resolve

    threshold = fail_under(args.fail_under)
    rubric = None
    try:
        rubric = load_rubric(args.rubric)
        targets = resolve(rubric, args.items, args.task)
    except GraderError as exc:
        if args.github or args.junit:  # CI still gets its summary, Classroom result and JUnit
            from grader.ci import github

            github.publish_nothing_graded(str(exc), _expected(rubric, args.task), args.junit, args.github,
                                          theirs=rubric is not None)
        raise
    grade = _engine()
    audience = STAFF if args.staff else SELF_CHECK
    colour = args.color == "always" or (args.color == "auto" and args.format == "text"
                                        and wants_colour(sys.stdout))
    reports, views = [], []
    stop, resume = _github_stop_commands() if args.github else ("", "")
    if stop:
        print(stop, flush=True)
    for target in targets:
        graded = _only(rubric, target.task, args.only) if args.only else rubric
        with _progress(graded.task(target.task), target.path, args):
            report = grade(graded, target.task, target.path, seed=args.seed)
        report = localised(report, target.path, args.rubric)
        reports.append(report)
        views.append(replace(view(report, audience), replay=replay_command(
            report.task, target.path, report.seed, args.rubric)))
        if args.format == "text":  # each report as soon as it is ready
            print(("\n" if len(reports) > 1 else "") + render_view(views[-1], colour), flush=True)
    ok = passes(views, threshold)
    why = exit_reason(views, threshold, args.fail_under)
    _print_all(args, reports, views, why)
    if resume:
        print(resume, flush=True)
    if args.junit:
        from pathlib import Path

        from grader.reports.junit import render_views as junit_xml

        Path(args.junit).write_text(junit_xml(views), encoding="utf-8")
    if args.github:
        from grader.ci import github

        github.publish(views, ok, {t.task: github.workspace_path(t.path) for t in targets})
    if why:
        from grader.reports import clean

        print(f"grader: exit 1: {clean.text(why)}", file=sys.stderr)
    return 0 if ok else 1


def _engine() -> Callable[..., GradeReport]:
    """`grade`, imported once the paths are known to be gradable (no process is started for a
    path that is not): the child's copy of the engine is built meanwhile (unless a kept one
    exists) on the other core (`bootcopy.start`), and bubblewrap probed on a thread
    (`levels.warm`)."""
    from grader.sandbox import bootcopy, levels

    bootcopy.start()
    levels.warm()
    from grader.grading import grade

    return grade


def _github_stop_commands() -> tuple[str, str]:
    from grader.ci import github

    return github.stop_commands()


def _print_all(args: argparse.Namespace, reports: list[GradeReport], views: list[TaskView],
               why: str) -> None:
    """What `--format` prints once every task is graded: one JUnit document or JSON object for
    them all, or (text, each report already printed) the total over several tasks."""
    from grader.presentation import points

    if args.format == "junit":  # one document for every task graded
        from grader.reports.junit import render_views as junit_xml

        print(junit_xml(views), end="")
    elif args.format == "json":
        import json

        from grader.reports import clean

        print(json.dumps(clean.data(json_document(reports, views, why)), indent=2))
    if len(views) > 1 and args.format == "text":
        bonus = sum(v.bonus for v in views)
        print(f"\ntotal: {points(sum(v.score for v in views))}/{points(sum(v.maximum for v in views))}"
              + (f" (+{points(bonus)} bonus)" if bonus else ""))


def exit_reason(views: list[TaskView], threshold: tuple[float, bool] | None, given: str | None) -> str:
    """Why `grader check` exits 1, in words ("" when it exits 0): a flag for review, a file that
    could not run, a score under --fail-under, or (without it) a score under full marks."""
    from grader.presentation import points

    if passes(views, threshold):
        return ""
    if any(v.needs_review for v in views):
        return "flagged for review (the score stands once your instructor has looked)"
    broken = [v.file for v in views if v.error]
    if broken:
        return f"{', '.join(broken)} could not be run"
    # the score as the report prints it ("15/18 (+2 bonus)"); the threshold counts the bonus
    base, bonus = sum(v.score for v in views), sum(v.bonus for v in views)
    maximum = sum(v.maximum for v in views)
    said = f"{points(base)}/{points(maximum)}" + (f" (+{points(bonus)} bonus)" if bonus else "")
    if threshold is None:
        return f"{said} is below full marks (pass --fail-under to accept less)"
    value, percent = threshold
    needed = value * maximum / 100 if percent else value
    return f"{said} is below --fail-under {given} ({points(needed)} points, bonus included)"


def json_document(reports: list, views: list[TaskView], why: str) -> dict:
    """`--format json`: always one object, whatever the number of tasks: `reports` (one per
    task graded, as `grader.reports.json_report` writes it, with its `replay` command), the
    totals, and the exit code with its reason."""
    from grader.reports.json_report import view_dict

    items = []
    for report, task in zip(reports, views):
        item = view_dict(report, task)
        item["replay"] = task.replay
        items.append(item)
    return {"reports": items, "score": sum(v.score for v in views), "bonus": sum(v.bonus for v in views),
            "max_score": sum(v.maximum for v in views), "exit_code": 1 if why else 0, "exit_reason": why}


def main(argv: list[str] | None = None) -> int:
    args = _parser(argv).parse_args(argv)
    try:
        if args.command in ("batch", "check"):
            from grader.sandbox.platform_support import require_grading_support

            require_grading_support()
        if args.command == "batch":
            return _batch(args)
        if args.command == "gradescope-bundle":
            return _bundle(args)
        if args.command == "init-ci":
            return _init_ci(args)
        if args.command == "doctor":
            from grader.batch.doctor import run as doctor

            return doctor(args, sys.stdout)
        return _check(args)
    except GraderError as exc:  # it may name a file as it was given
        from grader.reports import clean

        print(f"grader: error: {clean.text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.command == "batch":
            print("grader: interrupted; finished gradings are cached, run again to resume", file=sys.stderr)
        else:
            print("grader: interrupted", file=sys.stderr)
        return 130
