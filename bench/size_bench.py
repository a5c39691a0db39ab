"""Grading time of large bank programs next to their plain run time.

    python bench/size_bench.py               # the textbook 100 x 1,000 and the 2 x 10^6 demo
    python bench/size_bench.py --repeat 3    # best of three of each
    python bench/size_bench.py FILE ...      # any programs

The target (issue 9): grading a program costs at most about 10x its plain run plus one second.
Both figures are wall-clock times taken back to back on the same machine, so a busy machine
slows both; the ratio is the figure to read. Plain runs happen in a child Python, never in
this process (the programs are run as they are, with real threads and real sleeps).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402

PROGRAMS = ROOT / "tests" / "programs" / "bank"
DEFAULT = [PROGRAMS / "textbook_100x1000.py", PROGRAMS / "race_demo_2x1000000.py"]


def plain_seconds(path: Path) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, str(path.resolve())], cwd=path.resolve().parent, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300, check=False)
    return time.monotonic() - started


def grading_seconds(rubric, path: Path) -> tuple[float, float, float]:
    started = time.monotonic()
    report = grade(rubric, "bank", path)
    return time.monotonic() - started, report.score, report.max_score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="best of N of each figure")
    args = parser.parse_args()
    rubric = load_rubric()
    print(f"{'program':32} {'plain s':>8} {'graded s':>9} {'ratio':>6} {'target s':>9}  score")
    for path in args.files or DEFAULT:
        if not path.is_file():
            print(f"size_bench: {path}: no such file; give a bank program's path", file=sys.stderr)
            return 2
        plain = min(plain_seconds(path) for _ in range(args.repeat))
        runs = [grading_seconds(rubric, path) for _ in range(args.repeat)]
        graded = min(r[0] for r in runs)
        score, maximum = runs[0][1], runs[0][2]
        target = 10 * plain + 1
        mark = "" if graded <= target else "  OVER TARGET"
        print(f"{path.name:32} {plain:8.2f} {graded:9.2f} {graded / plain:6.1f} {target:9.2f}  "
              f"{score:g}/{maximum:g}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
