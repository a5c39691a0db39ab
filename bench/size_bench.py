"""Grading time of large bank programs next to their plain run time.

    python bench/size_bench.py               # the textbook 100 x 1,000, 2 x 10^6, 2 x 2 x 10^6, 2 x 10^7
    python bench/size_bench.py --repeat 3    # best of three of each
    python bench/size_bench.py FILE ...      # any programs

The target (issues 9 and 18): a program that ends natively in t seconds is graded, run to its
end, within 10 t + 1 s. Wall-clock figures are taken back to back on the same machine, so a busy
machine slows both; the CPU figures (user + system time of the child processes: the plain run,
the grading sandbox) hardly depend on the load, and their ratio is the figure to read on a shared
machine. Plain runs happen in a child Python, never in this process (the programs are run as
they are, with real threads and real sleeps). The child's CPU time is counted only where this
process reaps it: run with `GRADER_ISOLATION=process` for the CPU columns (under bubblewrap the
sandbox's own init reaps it and the column shows next to nothing).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402

PROGRAMS = ROOT / "tests" / "programs" / "bank"
DEFAULT = [PROGRAMS / "textbook_100x1000.py", PROGRAMS / "race_demo_2x1000000.py",
           PROGRAMS / "account_2x2000000.py", PROGRAMS / "locked_2x10000000.py"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plain_seconds(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one plain run."""
    started, cpu = time.monotonic(), _children_cpu()
    subprocess.run([sys.executable, str(path.resolve())], cwd=path.resolve().parent, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300, check=False)
    return time.monotonic() - started, _children_cpu() - cpu


def grading_seconds(rubric, path: Path) -> tuple[float, float, float, float]:
    """Wall and CPU seconds of one grading (this process's and its children's), its score and
    maximum."""
    started, cpu, own = time.monotonic(), _children_cpu(), time.process_time()
    report = grade(rubric, "bank", path)
    spent = _children_cpu() - cpu + time.process_time() - own
    return time.monotonic() - started, spent, report.score, report.max_score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="best of N of each figure")
    args = parser.parse_args()
    rubric = load_rubric()
    print(f"{'program':26} {'plain s':>7} {'graded s':>8} {'ratio':>5} {'target':>6}  "
          f"{'plain cpu':>9} {'graded cpu':>10} {'ratio':>5} {'target':>6}  score")
    for path in args.files or DEFAULT:
        if not path.is_file():
            print(f"size_bench: {path}: no such file; give a bank program's path", file=sys.stderr)
            return 2
        plains = [plain_seconds(path) for _ in range(args.repeat)]
        plain, plain_cpu = min(p[0] for p in plains), min(p[1] for p in plains)
        runs = [grading_seconds(rubric, path) for _ in range(args.repeat)]
        graded, graded_cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        score, maximum = runs[0][2], runs[0][3]
        target, target_cpu = 10 * plain + 1, 10 * plain_cpu + 1
        mark = "" if graded <= target or graded_cpu <= target_cpu else "  OVER TARGET"
        print(f"{path.name:26} {plain:7.2f} {graded:8.2f} {graded / plain:5.1f} {target:6.1f}  "
              f"{plain_cpu:9.2f} {graded_cpu:10.2f} {graded_cpu / plain_cpu:5.1f} {target_cpu:6.1f}  "
              f"{score:g}/{maximum:g}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
