"""What a report says where `grader check` ran: commands that work as printed, errors shown once.

A grading knows its file by name only (`bank.py`): that is how the student's lines are named
in messages and annotations. The command line knows more: the path as typed (`sub/bank.py`),
the rubric given. So the replay hint printed to the student is rebuilt here with the path and
the rubric, in the report's own texts too (the checks' details quote it), and a syntax error
gets the offending line with a caret, read from the file by compiling it (never running it).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import replace
from pathlib import Path

from grader.results import GradeReport


def replay_command(task: str, path: Path, seed: int, rubric: str | None = None) -> str:
    """`grader check TASK PATH [--rubric R] --seed N`, runnable from where the student is."""
    rubric_arg = f" --rubric {shlex.quote(rubric)}" if rubric else ""
    return f"grader check {shlex.quote(task)} {shlex.quote(str(path))}{rubric_arg} --seed {seed}"


def localised(report: GradeReport, path: Path, rubric: str | None = None) -> GradeReport:
    """The report with every replay command naming `path` (and `rubric`), and a syntax error
    shown with its line and caret."""
    bare = re.compile(rf"grader check {re.escape(report.task)} {re.escape(report.file)} --seed (\d+)")

    def fix(text: str) -> str:
        return bare.sub(lambda m: replay_command(report.task, path, int(m.group(1)), rubric), text) if text else text

    checks = [replace(c, message=fix(c.message), details=fix(c.details)) for c in report.checks]
    error = report.error
    if error and "SyntaxError" in error.splitlines()[0]:
        error = "\n".join([error.splitlines()[0], *syntax_caret(path)])
    return replace(report, checks=checks, error=error)


def syntax_caret(path: Path) -> list[str]:
    """The line of `path` that does not parse, with a caret under the place, as Python shows it;
    [] when the file parses or cannot be read."""
    try:
        source = path.read_bytes().decode("utf-8-sig")
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        if not exc.lineno or not exc.text:
            return []
        text = exc.text.rstrip("\n").expandtabs(4)
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        start = max(1, exc.offset or 1)
        end = exc.end_offset if (getattr(exc, "end_lineno", None) == exc.lineno and exc.end_offset) else start + 1
        width = max(1, min(end, len(text) + 1) - start)
        number = str(exc.lineno)
        return [f"{number} | {stripped}",
                f"{' ' * len(number)} | {' ' * max(0, start - 1 - indent)}{'^' * width}"]
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    return []
