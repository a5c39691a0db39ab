"""Grade a labelled corpus and print what the grader caught, missed and how fast it was.

    python bench/corpus_bench.py bank                 # one grading per submission
    python bench/corpus_bench.py bank --repeat 20     # plus reproducibility over 20 gradings
    python bench/corpus_bench.py downloader --load    # with both cores kept busy meanwhile
    python bench/corpus_bench.py bank --seeds 10      # every submission under 10 other seeds
    python bench/corpus_bench.py bank --folder DIR    # any folder of submissions (no labels)

Figures, not assertions: the tests assert the labels; this prints rates and times.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus import read_sample  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.results import Status  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402


def _burn(stop_at: float) -> None:
    while time.time() < stop_at:
        pass


BUSY: list[str] = []  # gradings with a check the machine was too busy to finish (grader.busy)
REVIEW = "__needs_review__"  # a pseudo check id in the statuses: the report was flagged
NAMES_EXPECTED = "failed (names: a program graded as it is, by design)"  # not a false failure


def _grade_once(rubric, task: str, path: Path, seed: int | None) -> tuple[str, float, float, dict[str, str]]:
    started = time.monotonic()
    report = grade(rubric, task, path, seed=seed)
    seconds = time.monotonic() - started
    fingerprint = json.dumps([(c.id, c.status, c.score) for c in report.checks] + report.needs_review)
    statuses = {c.id: c.status for c in report.checks}
    if any(c.cause == "grader.busy" for c in report.checks):
        BUSY.append(path.name)
    names = rubric.task(task).names_check
    if report.style == "program" and names in statuses and statuses[names] in (Status.FAILED, Status.NOTE):
        # a program without the contract's names: the names check costs its point by design
        statuses[names] = NAMES_EXPECTED
    if report.needs_review:
        statuses[REVIEW] = "; ".join(report.needs_review)
    return fingerprint, report.score, seconds, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task")
    parser.add_argument("--folder", type=Path, help="default: tests/corpus/<task>")
    parser.add_argument("--repeat", type=int, default=1, help="gradings per submission, same seed")
    parser.add_argument("--seeds", type=int, default=0,
                        help="grade with seeds 0..N-1 instead of the content-derived seed; the "
                             "label verdicts must hold under every one")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    parser.add_argument("--load", action="store_true", help="keep every core busy while grading")
    parser.add_argument("--rubric", type=Path)
    args = parser.parse_args()
    folder = args.folder or ROOT / "tests" / "corpus" / args.task
    rubric = load_rubric(args.rubric)
    paths = sorted(folder.glob("*.py"))
    burners = []
    if args.load:
        stop_at = time.time() + 24 * 3600
        burners = [multiprocessing.Process(target=_burn, args=(stop_at,), daemon=True)
                   for _ in range(multiprocessing.cpu_count())]
        for proc in burners:
            proc.start()
    fingerprints: dict[Path, set[str]] = defaultdict(set)
    times: list[float] = []
    first: dict[Path, tuple[float, float, dict[str, str]]] = {}
    per_seed: list[dict[Path, dict[str, str]]] = []
    seeds: list[int | None] = list(range(args.seeds)) if args.seeds else [None] * args.repeat
    try:
        for seed in seeds:
            with ThreadPoolExecutor(args.jobs) as pool:
                results = list(pool.map(lambda p: (p, _grade_once(rubric, args.task, p, seed)), paths))
            per_seed.append({})
            for path, (fingerprint, score, seconds, statuses) in results:
                fingerprints[path].add(fingerprint)
                times.append(seconds)
                first.setdefault(path, (score, seconds, statuses))
                per_seed[-1][path] = statuses
    finally:
        for proc in burners:
            proc.terminate()
    print(f"{'submission':42} {'score':>7} {'seconds':>8}")
    for path in paths:
        score, seconds, _ = first[path]
        print(f"{path.name:42} {score:7g} {seconds:8.2f}")
    print(f"\nmedian wall time per submission: {statistics.median(times):.2f} s "
          f"(n={len(times)}, max {max(times):.2f} s{', under load' if args.load else ''})")
    if args.repeat > 1 and not args.seeds:
        same = sum(1 for p in paths if len(fingerprints[p]) == 1)
        print(f"identical results over {args.repeat} gradings: {same}/{len(paths)} submissions")
    print(f"gradings with a check the machine was too busy to finish (grader.busy, regraded): "
          f"{len(BUSY)}/{len(times)}{': ' + ', '.join(sorted(set(BUSY))) if BUSY else ''}")
    for index, statuses in enumerate(per_seed if args.seeds else per_seed[:1]):
        if args.seeds:
            print(f"\n-- seed {index}")
        _labels(paths, {p: (0.0, 0.0, s) for p, s in statuses.items()})
    return 0


def _labels(paths: list[Path], first: dict[Path, tuple[float, float, dict[str, str]]]) -> None:
    try:
        samples = [read_sample(p) for p in paths]
    except ValueError:
        return  # an unlabelled folder: scores and times only
    caught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false_failures, flagged, correct = [], [], 0
    for sample in samples:
        statuses = dict(first[sample.path][2])
        if REVIEW in statuses:
            flagged.append(f"{sample.name} ({'correct' if sample.correct else 'buggy'}): "
                           f"{statuses.pop(REVIEW)}")
        if sample.correct:
            correct += 1
            bad = [c for c, s in statuses.items() if s in (Status.FAILED, Status.ERROR)]
            if bad:
                false_failures.append(f"{sample.name}: {', '.join(bad)}")
            continue
        for check_id in sample.must_fail:
            caught[sample.bug][1] += 1
            caught[sample.bug][0] += statuses.get(check_id) != Status.PASSED
    print(f"\n{'bug class':32} caught/present (label's must-fail checks not passed)")
    for bug, (hit, present) in sorted(caught.items()):
        print(f"{bug:32} {hit}/{present}")
    total_hit = sum(h for h, _ in caught.values())
    total = sum(p for _, p in caught.values())
    print(f"{'all bugs':32} {total_hit}/{total}")
    print(f"false failures on correct submissions: {len(false_failures)} of {correct}")
    for line in false_failures:
        print(f"  {line}")
    print(f"flagged for review: {len(flagged)} of {len(samples)} "
          f"({sum(1 for f in flagged if '(correct)' in f)} correct)")
    for line in flagged:
        print(f"  {line}")


if __name__ == "__main__":
    raise SystemExit(main())
