"""Record every verdict (score, status and message per check) of a set of submissions, or compare two records.

    python bench/verdict_snapshot.py record before.json                 # the corpora of tests/corpus
    python bench/verdict_snapshot.py record before.json ../shared/wild-dev   # plus labelled folders
    python bench/verdict_snapshot.py compare before.json after.json

Why: a restructuring must leave verdicts unchanged, messages included. `record` grades each
submission once with its content-derived seed and writes one JSON object per submission; `compare`
prints every submission whose score, statuses or messages differ and exits 1 if any does.
Figures, not assertions: the tests assert the labels; this shows what a change moved.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402

TASK_FILES = {"bank.py": "bank", "downloader.py": "downloader"}


def _targets(extra: list[Path]) -> list[tuple[str, str, Path]]:
    """(key, task, path) for every corpus file and every labelled folder below `extra`."""
    found = []
    for task in ("bank", "downloader"):
        for path in sorted((ROOT / "tests" / "corpus" / task).glob("*.py")):
            found.append((f"corpus/{task}/{path.name}", task, path))
    for root in extra:
        for meta in sorted(root.resolve().rglob("meta.yaml")):
            for filename, task in TASK_FILES.items():
                if (meta.parent / filename).is_file():
                    found.append((f"{root.name}/{meta.parent.relative_to(root.resolve())}", task, meta.parent))
                    break
    return found


def _verdict(rubric, task: str, path: Path) -> dict:
    report = grade(rubric, task, path)
    return {
        "score": report.score,
        "max": report.max_score,
        "style": report.style,
        "error": report.error,
        "review": list(report.needs_review),
        "checks": [[c.id, str(c.status), c.score, c.message] for c in report.checks],
    }


def record(out: Path, extra: list[Path], jobs: int) -> int:
    rubric = load_rubric(None)
    targets = _targets(extra)
    started = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        verdicts = list(pool.map(lambda t: (t[0], _verdict(rubric, t[1], t[2])), targets))
    out.write_text(json.dumps(dict(verdicts), indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(verdicts)} submissions recorded in {out} ({time.monotonic() - started:.0f} s)")
    return 0


def compare(before: Path, after: Path) -> int:
    old = json.loads(before.read_text(encoding="utf-8"))
    new = json.loads(after.read_text(encoding="utf-8"))
    moved = 0
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        moved += 1
        if a is None or b is None:
            print(f"{key}: only in {'after' if a is None else 'before'}")
            continue
        if a["score"] != b["score"]:
            print(f"{key}: score {a['score']:g} -> {b['score']:g}")
        for field in ("style", "error", "review"):
            if a[field] != b[field]:
                print(f"{key}: {field} {a[field]!r} -> {b[field]!r}")
        checks_a = {c[0]: c for c in a["checks"]}
        for check in b["checks"]:
            was = checks_a.pop(check[0], None)
            if was != check:
                print(f"{key}: {check[0]}\n    before {was}\n    after  {check}")
        for gone in checks_a:
            print(f"{key}: {gone} no longer graded")
    same = len(set(old) & set(new)) - sum(1 for k in set(old) & set(new) if old[k] != new[k])
    print(f"identical: {same}/{len(set(old) | set(new))} submissions; differing: {moved}")
    return 1 if moved else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("folders", type=Path, nargs="*", help="folders of labelled programs (meta.yaml)")
    rec.add_argument("--jobs", type=int, default=2)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        return record(args.out, args.folders, args.jobs)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
