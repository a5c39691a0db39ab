"""Grade real, hand-labelled programs and print label vs verdict, agreement and times.

    python bench/wild_bench.py ../shared/wild-dev             # every labelled program below
    python bench/wild_bench.py ../shared/wild-dev/bank        # one task's programs
    python bench/wild_bench.py ../shared/wild-dev --repeat 3  # and whether scores repeat
    python bench/wild_bench.py DIR --json out.json            # per-program rows for scripts

Each program sits in a folder of its own with a `meta.yaml` (`verdict: correct|buggy|unsure`,
`bug:` saying why). The task is the folder's `bank.py` or `downloader.py`. Agreement means: a
`correct` program gets every behaviour point (the names check costs a program without the
contract's names whatever points the rubric gives it: none by default), a `buggy` one loses
behaviour points. Figures, not assertions: the
labelled sets are other people's code and are never copied into the project.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.results import Status  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402

TASK_FILES = {"bank.py": "bank", "downloader.py": "downloader"}


@dataclass
class Row:
    """One labelled program and what the grader made of it."""

    name: str
    task: str
    label: str
    bug: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    scores: list[float] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    error: str | None = None
    review: list[str] = field(default_factory=list)  # why the report was flagged for review
    style: str = ""  # the track the grader took: contract or program
    names_lost: float = 0.0  # what the names check cost a program without the contract's names

    @property
    def full(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score

    @property
    def full_behaviour(self) -> bool:
        """Full marks but for the names check: all a program of its own shape can earn."""
        return self.max_score > 0 and self.score + self.names_lost >= self.max_score

    @property
    def agrees(self) -> bool | None:
        if self.label == "correct":
            return self.full_behaviour
        if self.label == "buggy":
            return not self.full_behaviour
        return None


def _programs(root: Path) -> list[tuple[Path, str, dict]]:
    found = []
    for meta_path in sorted(root.rglob("meta.yaml")):
        folder = meta_path.parent
        for filename, task in TASK_FILES.items():
            if (folder / filename).is_file():
                meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
                found.append((folder, task, meta))
                break
    return found


def _grade(rubric, folder: Path, task: str, meta: dict, repeat: int) -> Row:
    row = Row(str(folder.name), task, str(meta.get("verdict", "unsure")), str(meta.get("bug") or ""))
    for _ in range(repeat):
        started = time.monotonic()
        report = grade(rubric, task, folder)
        row.seconds = time.monotonic() - started if not row.scores else row.seconds
        row.scores.append(report.score)
        if len(row.scores) == 1:
            row.score, row.max_score, row.error = report.score, report.max_score, report.error
            row.review = list(report.needs_review)
            row.style = report.style
            names = rubric.task(task).names_check
            row.names_lost = sum(c.max_score - c.score for c in report.checks
                                 if report.style == "program" and c.id == names)
            row.findings = [f"{c.id}: {c.message}"[:160] for c in report.checks
                            if c.status != Status.PASSED and not c.bonus]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a folder holding labelled program folders")
    parser.add_argument("--repeat", type=int, default=1, help="gradings per program")
    parser.add_argument("--rubric", type=Path)
    parser.add_argument("--json", type=Path, help="write the per-program rows here")
    parser.add_argument("--quiet", action="store_true", help="only the summary")
    args = parser.parse_args()
    if not args.path.is_dir():
        print(f"wild_bench: {args.path}: not a folder; give the folder holding the labelled programs",
              file=sys.stderr)
        return 2
    rubric = load_rubric(args.rubric)
    programs = _programs(args.path)
    if not programs:
        print(f"wild_bench: {args.path}: no folder with meta.yaml and bank.py/downloader.py", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for folder, task, meta in programs:
        row = _grade(rubric, folder, task, meta, args.repeat)
        rows.append(row)
        if not args.quiet:
            mark = {True: "ok  ", False: "DIFF", None: "    "}[row.agrees]
            print(f"{mark} {task:10} {row.name:42} {row.label:7} {row.style[:8]:8} {row.score:5.1f}/{row.max_score:<4.0f} "
                  f"{row.seconds:5.1f}s" + ("" if len(set(row.scores)) <= 1 else f"  SCORES VARY {row.scores}"))
            if row.error:
                print(f"       error: {row.error[:150]}")
            for reason in row.review[:4]:
                print(f"       needs review: {reason[:150]}")
            if row.agrees is False or args.repeat == 1 and not args.quiet and row.label == "buggy":
                for finding in row.findings[:4]:
                    print(f"       - {finding}")
                if row.label == "buggy":
                    print(f"       label: {row.bug[:150]}")
    print()
    for task in sorted({r.task for r in rows}):
        mine = [r for r in rows if r.task == task]
        correct = [r for r in mine if r.label == "correct"]
        buggy = [r for r in mine if r.label == "buggy"]
        times = [r.seconds for r in mine]
        print(f"{task}: {len(mine)} programs; correct with full marks {sum(r.full for r in correct)}/"
              f"{len(correct)}, with every behaviour point (names aside) "
              f"{sum(r.full_behaviour for r in correct)}/{len(correct)}; buggy losing behaviour points "
              f"{sum(not r.full_behaviour for r in buggy)}/{len(buggy)}; "
              f"correct scored 0: {sum(r.score <= 0 for r in correct)}; "
              f"scores repeat: {sum(len(set(r.scores)) == 1 for r in mine)}/{len(mine)}; "
              f"flagged for review {sum(bool(r.review) for r in mine)} "
              f"({sum(bool(r.review) for r in correct)} correct); "
              f"time median {statistics.median(times):.1f}s max {max(times):.1f}s")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
