"""Grade the corpora under several CPython versions and compare the verdicts: same submission ->
same checks, statuses and scores on 3.10, 3.11, 3.12 and 3.13.

    python bench/version_bench.py                          # pyenv's 3.10-3.13, both corpora
    python bench/version_bench.py --python /opt/py3.12/bin/python --python python3.13
    python bench/version_bench.py --task bank --jobs 2

Each interpreter needs the grader's dependencies (requests, urllib3, pyyaml, pytest):
a venv per version with `pip install requests pyyaml pytest` does. The grader
itself comes from this checkout (PYTHONPATH), and the sandboxed child runs under the same
interpreter as the grading, so every version grades with its own bytecode, threading and
`ast`. Prints per version the time and the verdict fingerprints; then every submission whose
verdict differs between versions. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
WANTED = ("3.10", "3.11", "3.12", "3.13")

# Run under each interpreter: grade every file, print {task/file: [[id, status, score], ...]}.
DRIVER = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from grader.grading import grade
from grader.rubric import load_rubric

rubric = load_rubric(None)
jobs = [line.split("\\t") for line in sys.stdin.read().splitlines() if line]

def one(job):
    task, path = job
    report = grade(rubric, task, Path(path))
    return (f"{task}/{Path(path).name}", [[c.id, c.status, c.score, c.message.splitlines()[0] if c.message else ""]
                                          for c in report.checks] + [["error", str(report.error), 0, ""]])

with ThreadPoolExecutor(max_workers=int(sys.argv[1])) as pool:
    print(json.dumps(dict(pool.map(one, jobs)), sort_keys=True))
"""


def find_pythons() -> list[str]:
    """pyenv's newest 3.10-3.13 (they need the dependencies installed: see the module doc)."""
    found = []
    for version in WANTED:
        candidates = sorted(PYENV.glob(f"{version}.*"), key=lambda p: [int(x) for x in p.name.split(".")[:3]
                                                                        if x.isdigit()])
        if candidates:
            found.append(str(candidates[-1] / "bin" / "python"))
    return found


def submissions(tasks: list[str]) -> list[tuple[str, Path]]:
    jobs = []
    for task in tasks:
        jobs.append((task, ROOT / "reference" / f"{task}.py"))
        jobs += [(task, path) for path in sorted((ROOT / "tests" / "corpus" / task).glob("*.py"))]
    return jobs


def version_of(python: str) -> str:
    done = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or "?"


def run(python: str, jobs: list[tuple[str, Path]], workers: int) -> tuple[dict[str, list], float, str]:
    started = time.monotonic()
    done = subprocess.run([python, "-c", DRIVER, str(workers)], input="\n".join(f"{t}\t{p}" for t, p in jobs),
                          capture_output=True, text=True, cwd=ROOT, timeout=3600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    seconds = time.monotonic() - started
    if done.returncode != 0:
        return {}, seconds, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return json.loads(done.stdout), seconds, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter to compare (repeatable; default: "
                                                          "pyenv's 3.10, 3.11, 3.12, 3.13)")
    parser.add_argument("--task", action="append", help="bank and/or downloader (default: both)")
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once per interpreter (default: 2)")
    args = parser.parse_args()
    pythons = args.python or find_pythons()
    jobs = submissions(args.task or ["bank", "downloader"])
    print(f"{len(jobs)} submissions ({', '.join(args.task or ['bank', 'downloader'])}), {args.jobs} at once")
    verdicts: dict[str, dict[str, list]] = {}
    for python in pythons:
        version = version_of(python)
        result, seconds, problem = run(python, jobs, args.jobs)
        if problem:
            print(f"  {version:8} {python}: could not grade ({problem})")
            continue
        verdicts[version] = result
        full = sum(1 for checks in result.values() if all(c[1] != "failed" for c in checks[:-1]))
        print(f"  {version:8} {seconds:7.1f} s  {len(result)} graded, {full} without a failed check  ({python})")
    if len(verdicts) < 2:
        print("fewer than two interpreters could grade: nothing to compare")
        return 1
    names = sorted(set().union(*verdicts.values()))
    def verdict(checks: list | None) -> str:  # what must agree: ids, statuses, scores
        return json.dumps([c[:3] for c in checks or []])

    differ = [n for n in names if len({verdict(v.get(n)) for v in verdicts.values()}) > 1]
    print(f"identical verdicts on {len(names) - len(differ)}/{len(names)} submissions across "
          f"{', '.join(verdicts)}")
    for name in differ:
        print(f"  DIFFERS {name}")
        for version, result in verdicts.items():
            checks = result.get(name) or []
            print(f"    {version:8} " + "; ".join(f"{cid}={status} ({message})" for cid, status, _, message in checks
                                                  if status not in ("passed", "skipped") and cid != "error")
                  + next((f" error={msg}" for cid, msg, _, _ in checks if cid == "error" and msg != "None"), ""))
    return 0 if not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
