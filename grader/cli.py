"""The `grader` command line."""
from __future__ import annotations

import argparse
import sys

from grader import __version__
from grader.errors import GraderError


def _parser() -> argparse.ArgumentParser:
    from grader.reports import load_formats

    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="grade one submission and print a report")
    check.add_argument("task", help="the task to grade, as named in the rubric (bank, downloader)")
    check.add_argument("path", help="the submission: a .py file or a folder holding it")
    check.add_argument("--rubric", help="rubric file (default: the bundled rubric.yaml)")
    check.add_argument("--format", default="text", choices=sorted(load_formats()))
    check.add_argument("--seed", type=int, help="schedule seed to replay (default: from the file's content)")
    _batch_parser(sub)
    _bundle_parser(sub)
    return parser


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


def _bundle_parser(sub: argparse._SubParsersAction) -> None:
    bundle = sub.add_parser(
        "gradescope-bundle", help="write a Gradescope autograder zip (setup.sh, run_autograder)",
        description="Write a zip to upload as a Gradescope programming assignment's autograder: it "
                    "installs this grader and grades /autograder/submission into results.json.")
    bundle.add_argument("--task", action="append", dest="tasks", metavar="TASK",
                        help="task(s) the assignment covers (default: every task of the rubric)")
    bundle.add_argument("--rubric", help="rubric file to bundle (default: the bundled rubric.yaml)")
    bundle.add_argument("--output", "-o", default="autograder.zip", help="zip to write (default: autograder.zip)")


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
                           formats=[f.strip() for f in args.formats.split(",") if f.strip()]
                           if args.formats else None)
    if args.jobs:
        options.jobs = args.jobs
    result, written = run_batch(Path(args.path), rubric, options)
    for warning in result.warnings:
        print(f"grader: warning: {warning}", file=sys.stderr)
    stats = result.stats
    grades = [g for s in result.students for g in s.grades.values()]
    missing = sum(1 for g in grades if g.status == "missing")
    broken = sum(1 for g in grades if g.report is not None and g.report.error)
    print(f"{len(result.students)} students ({result.layout} layout), {stats.submissions} submissions: "
          f"{stats.gradings} graded, {stats.cached} from the cache, {stats.shared} identical to another; "
          f"{missing} missing, {broken} could not run, {stats.failed} grader errors; {stats.seconds:.1f} s")
    out = result.out
    groups: dict[str, int] = {}
    for path in written:
        rel = path.relative_to(out) if out else path
        head = rel.parts[0] + ("/" if len(rel.parts) > 1 else "")
        groups[head] = groups.get(head, 0) + 1
    print(f"outputs in {out}: " + ", ".join(h + (f" ({n} files)" if h.endswith("/") else "")
                                            for h, n in sorted(groups.items())))
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "batch":
            return _batch(args)
        if args.command == "gradescope-bundle":
            return _bundle(args)
        from grader.grading import grade
        from grader.reports import FORMATS
        from grader.rubric import load_rubric

        rubric = load_rubric(args.rubric)
        result = grade(rubric, args.task, args.path, seed=args.seed)
        print(FORMATS[args.format](result))
    except GraderError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted; finished gradings are cached, run again to resume", file=sys.stderr)
        return 130
    return 0
