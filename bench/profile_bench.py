"""Where one grading's time goes, phase by phase (issue 21), for a few named submissions.

    python bench/profile_bench.py                 # every sample, 3 runs each (the median run is shown)
    python bench/profile_bench.py --runs 5 --only bank-reference --only bank-deposit-deadlock
    python bench/profile_bench.py --file downloader:tests/corpus/downloader/buggy_sequential.py
    python bench/profile_bench.py --command       # also time `python -m grader check` end to end

For each sample it grades the file in process with `grade(..., profile=)` and prints the
phases: static audit (grader), sandbox setup (temporary folder, copies, uid slot), sandbox start
(spawn to the child's "ready": bubblewrap, interpreter start, the engine's import; one per child,
a hang or crash restarts one), the submission's import, each probe with the schedules (or
scenario runs) it reported, cleanup, the judges (grader) and rendering the report. The start
is split further by timing, outside the sandbox, a bare interpreter and the engine's import from
the boot copy; the rest of the start is bubblewrap, the cgroup and dropping privileges.
Wall-clock figures on a shared machine: the load average is printed with them. Figures, not
assertions.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.grading.profile import GradingProfile  # noqa: E402
from grader.presentation import STAFF, view  # noqa: E402
from grader.reports.text import render_view  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402
from grader.sandbox import bootcopy  # noqa: E402

# A deposit that takes its own (non-reentrant) lock again: it never returns, on any schedule.
DEPOSIT_DEADLOCK = '''import threading


class BankAccount:
    def __init__(self, balance=0):
        self._balance = balance
        self._lock = threading.Lock()

    @property
    def balance(self):
        with self._lock:
            return self._balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            self._balance = self.balance + amount

    def withdraw(self, amount):
        with self._lock:
            if amount > self._balance:
                return False
            self._balance -= amount
            return True


def simulate(account, customers, deposits_each, amount):
    workers = [threading.Thread(target=lambda: [account.deposit(amount) for _ in range(deposits_each)])
               for _ in range(customers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return account.balance
'''

SAMPLES: dict[str, tuple[str, str]] = {  # name: (task, file, relative to the root)
    "bank-reference": ("bank", "reference/bank.py"),
    "downloader-reference": ("downloader", "reference/downloader.py"),
    "bank-transfer-deadlock": ("bank", "tests/corpus/bank/buggy_transfer_deadlock.py"),
    "bank-deposit-deadlock": ("bank", "<DEPOSIT_DEADLOCK>"),
    "downloader-print-at-end": ("downloader", "tests/corpus/downloader/buggy_print_at_end.py"),
    "downloader-textbook-script": ("downloader", "tests/corpus/downloader/script_correct_threads.py"),
    "bank-textbook-script": ("bank", "tests/programs/bank/textbook_100x1000.py"),
}


def _path(spec: str, tmp: Path) -> Path:
    if spec == "<DEPOSIT_DEADLOCK>":
        path = tmp / "deadlock" / "bank.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(DEPOSIT_DEADLOCK)
        return path
    return ROOT / spec


def _one(rubric, task: str, path: Path) -> tuple[float, GradingProfile, float, str]:
    profile = GradingProfile()
    started = time.monotonic()
    report = grade(rubric, task, path, profile=profile)
    rendering = time.monotonic()
    render_view(view(report, STAFF))
    ended = time.monotonic()
    return ended - started, profile, ended - rendering, f"{report.score:g}/{report.max_score:g}"


def _rows(profile: GradingProfile, render: float) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = [("static audit (grader)", profile.static_audit, "")]
    for number, box in enumerate(profile.sandboxes, 1):
        tag = f" [sandbox {number}]" if len(profile.sandboxes) > 1 else ""
        rows.append((f"sandbox setup{tag}", box.setup, ""))
        rows.append((f"sandbox start{tag}", box.start, f"{box.children} child(ren)"))
        rows.append((f"submission import{tag}", box.submission_import, ""))
        for key, seconds in box.probes.items():
            runs = profile.schedules.get(key)
            rows.append((f"  probe {key}", seconds, f"{runs} runs" if runs is not None else ""))
        rows.append((f"cleanup{tag}", box.cleanup, ""))
    rows.append(("judges (grader)", profile.judge, ""))
    rows.append(("report rendering", render, ""))
    return rows


def _timed(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        done = subprocess.run(command, env=env, cwd="/", capture_output=True)
        times.append(time.monotonic() - started)
        if done.returncode not in (0, 1):  # 1: graded, below full marks (a buggy sample)
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def _start_split(runs: int) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(bootcopy.template()), "PYTHONDONTWRITEBYTECODE": "1"}
    python = [sys.executable, "-s"] + (["-P"] if sys.version_info >= (3, 11) else [])
    bare = _timed(python + ["-c", "pass"], env, runs)
    engine = _timed(python + ["-c", "import grader.sandbox.child; from grader.probes.registry import load_all; "
                                    "load_all()"], env, runs)
    print(f"outside the sandbox (median of {runs}): interpreter start {bare:.3f} s; "
          f"interpreter + engine import {engine:.3f} s (engine {engine - bare:.3f} s)")


def _command(task: str, path: Path, runs: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return _timed([sys.executable, "-m", "grader", "check", str(path), "--task", task, "--staff"],
                  env, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="gradings per sample (default: 3)")
    parser.add_argument("--only", action="append", choices=sorted(SAMPLES), help="these samples only")
    parser.add_argument("--file", action="append", default=[], metavar="TASK:PATH",
                        help="profile this file too (e.g. downloader:tests/corpus/downloader/buggy_sequential.py)")
    parser.add_argument("--command", action="store_true",
                        help="also time `python -m grader check` end to end (median of --runs)")
    args = parser.parse_args()
    rubric = load_rubric(None)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python "
          f"{sys.version.split()[0]}")
    _start_split(args.runs)
    extra = {item: tuple(item.split(":", 1)) for item in args.file}
    samples = {**SAMPLES, **extra}
    with tempfile.TemporaryDirectory(prefix="profile-bench-") as tmp:
        for name in (args.only or ([] if extra else list(SAMPLES))) + list(extra):
            task, spec = samples[name]
            path = _path(spec, Path(tmp))
            done = sorted((_one(rubric, task, path) for _ in range(args.runs)), key=lambda r: r[0])
            total, profile, render, score = done[len(done) // 2]
            print(f"\n{name} ({task}: {spec if not spec.startswith('<') else 'written by this bench'}) "
                  f"score {score}; total {total:.2f} s (median of {args.runs}: "
                  f"{', '.join(f'{r[0]:.2f}' for r in done)})")
            for label, seconds, note in _rows(profile, render):
                print(f"  {label:58} {seconds:7.3f} s  {note}")
            if args.command:
                print(f"  `grader check` end to end (median of {args.runs}): "
                      f"{_command(task, path, args.runs):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
