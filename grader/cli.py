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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from grader.grading import grade
        from grader.reports import FORMATS
        from grader.rubric import load_rubric

        rubric = load_rubric(args.rubric)
        result = grade(rubric, args.task, args.path, seed=args.seed)
        print(FORMATS[args.format](result))
    except GraderError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    return 0
