"""Start-up cost of the sandbox: wall time of one sandboxed run of the cheapest check.

    python bench/sandbox_bench.py               # 15 runs at the strongest level this machine has
    python bench/sandbox_bench.py --runs 30
    GRADER_ISOLATION=process python bench/sandbox_bench.py

Each run grades the reference bank against a one-check rubric (`api`), so the figure is
almost all sandbox: building the child's root, dropping privileges, starting Python, importing
the grader's child side and the submission, and cleaning up. Prints the level, the median and
the spread. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.rubric import parse_rubric  # noqa: E402

RUBRIC = """
version: 4
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    checks:
      - {id: api, points: 1, description: the API exists}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rubric = parse_rubric(Path(tmp, "rubric.yaml"), RUBRIC)
        path = Path(tmp, "bank.py")
        path.write_text((ROOT / "reference" / "bank.py").read_text())
        grade(rubric, "bank", path)  # warm-up: caches, the boot copy
        times, isolation = [], ""
        for _ in range(args.runs):
            started = time.monotonic()
            report = grade(rubric, "bank", path)
            times.append(time.monotonic() - started)
            isolation = report.isolation
            if report.score != 1:
                print(f"unexpected result: {report.error or report.checks[0].message}")
    times.sort()
    print(f"isolation: {isolation}")
    print(f"runs: {len(times)}, median {statistics.median(times) * 1000:.0f} ms, "
          f"min {times[0] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
