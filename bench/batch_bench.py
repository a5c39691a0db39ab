"""Wall time of `grader batch` on a generated class: fresh with --jobs 2, fresh with --jobs 1,
then the cached re-run.

    python bench/batch_bench.py                       # 100 submissions: 50 students x both tasks
    python bench/batch_bench.py --submissions 40 --jobs 2
    python bench/batch_bench.py --rubric my-rubric.yaml --keep /tmp/bench-class
    python bench/batch_bench.py --submissions 200 --jobs 2 --cluster local   # + a local Dask cluster
    python bench/batch_bench.py --submissions 200 --jobs 2 --cluster local --trivial
    python bench/batch_bench.py --cluster tcp://host:8786                   # + a running scheduler

Every submission is a copy of a corpus file (tests/corpus/<task>/ and reference/, cycled in
order, so every bug class and the slow ones, such as a deadlocking transfer, are in) with a
comment naming its student appended, so every file is distinct and graded for real. Runs the
command line as an instructor would (`python -m grader batch`), each fresh run with its own
empty output folder. Targets: <= 180 s with --jobs 2, <= 5 s for the cached re-run.
Figures, not assertions.

`--cluster local` also grades each class fresh on a local Dask cluster of as many worker
processes as --jobs (`grader batch --workers N`), `--cluster ADDRESS` on a running scheduler,
and prints the cluster path's overhead per submission against the thread pool with the same
--jobs. `--trivial` makes every submission a distinct file with a syntax error (graded in
milliseconds, without a sandbox), so the wall time is the batch's own cost: what a path adds
per task, free of the gradings' noise on a busy machine.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from batch_class import corpus, make_class, write_layout  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402


TRIVIAL = "def broken(:\n"  # a syntax error: graded without starting a sandbox


def _sources(task: str) -> list[str]:
    names = ["reference"] + sorted(p.stem for p in (ROOT / "tests" / "corpus" / task).glob("*.py"))
    return [corpus(task, name) for name in names]


def _run(label: str, args: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader", "batch", *args], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    seconds = time.monotonic() - started
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"{label}: grader batch failed with exit code {done.returncode}")
    summary = done.stdout.strip().splitlines()[0]
    print(f"{label:34} {seconds:7.1f} s   {summary}", flush=True)
    return seconds, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100, help="submissions in all (default: 100)")
    parser.add_argument("--jobs", type=int, action="append", help="jobs values to time fresh (default: 2 and 1)")
    parser.add_argument("--rubric", type=Path, help="default: the bundled rubric.yaml")
    parser.add_argument("--keep", type=Path, help="write the class and outputs here and keep them")
    parser.add_argument("--cluster", metavar="local|ADDRESS",
                        help="also grade fresh on Dask: a local cluster of --jobs processes, or a scheduler")
    parser.add_argument("--trivial", action="store_true",
                        help="every submission a distinct syntax error: time the batch's own cost per task")
    args = parser.parse_args()
    rubric = load_rubric(args.rubric)
    tasks = [t for t in ("bank", "downloader") if t in rubric.tasks]
    students = -(-args.submissions // len(tasks))
    base = args.keep or Path(tempfile.mkdtemp(prefix="batch-bench-"))
    shutil.rmtree(base / "class", ignore_errors=True)
    sources = {t: [TRIVIAL] for t in tasks} if args.trivial else {t: _sources(t) for t in tasks}
    pupils = make_class(students, tasks, sources, unique=True)
    source = write_layout(pupils, "folders", base / "class")
    count = sum(len(p.files) for p in pupils)
    print(f"class: {students} students x {', '.join(tasks)} = {count} submissions (all distinct), "
          f"{os.cpu_count()} cores, rubric {rubric.path}")
    common = [str(source), "--quiet", "--rubric", str(rubric.path)]
    try:
        last_out = None
        for jobs in args.jobs or [2, 1]:
            out = base / f"out-jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            threads, _ = _run(f"fresh, --jobs {jobs}", common + ["--jobs", str(jobs), "--out", str(out)])
            last_out = out
            if args.cluster:
                where = (["--workers", str(jobs)] if args.cluster == "local" else ["--cluster", args.cluster])
                out = base / f"out-cluster{jobs}"
                shutil.rmtree(out, ignore_errors=True)
                dask, _ = _run(f"fresh, {' '.join(where)}", common + where + ["--out", str(out)])
                print(f"{'':34} {count / dask:7.2f} submissions/s; the cluster path adds "
                      f"{(dask - threads) / count * 1000:+.0f} ms per submission against --jobs {jobs} "
                      f"({dask - threads:+.1f} s in all)", flush=True)
        _run("cached re-run (same output folder)", common + ["--out", str(last_out)])
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
