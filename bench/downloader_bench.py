"""Benchmark the downloader checks on the labelled corpus (tests/corpus/downloader).

Prints, per bug class, how many buggy samples had their bug caught (every must_fail check failed,
in every repetition); false failures on correct samples; how many samples got identical verdicts
in all N gradings; and the median wall time of one grading.

    python bench/downloader_bench.py                 # 20 gradings per sample
    python bench/downloader_bench.py --repeat 5 --load
    python bench/downloader_bench.py --rubric my_rubric.yaml -k sequential

--load starts one CPU-burning subprocess per core for the whole run, so the verdicts are
checked while the machine is busy.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import Sample, samples  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.rubric import DEFAULT_RUBRIC, Rubric, load_rubric  # noqa: E402

BLOCK = ROOT / "bench" / "downloader_rubric_block.yaml"
BURN = "while True:\n    pass\n"


def rubric_for(path: str | None, tmp: Path) -> Rubric:
    if path:
        return load_rubric(path)
    default = load_rubric()
    if "downloader" in default.tasks:
        return default
    merged = tmp / "rubric.yaml"
    merged.write_text(DEFAULT_RUBRIC.read_text(encoding="utf-8").rstrip("\n") + "\n"
                      + BLOCK.read_text(encoding="utf-8"), encoding="utf-8")
    return load_rubric(merged)


def start_load() -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(os.cpu_count() or 2)]


def stop_load(burners: list[subprocess.Popen[bytes]]) -> None:
    for proc in burners:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="gradings per sample (default 20)")
    parser.add_argument("--load", action="store_true", help="keep every core busy meanwhile")
    parser.add_argument("--rubric", help="rubric with a downloader task (default: rubric.yaml, "
                                         "plus bench/downloader_rubric_block.yaml if it lacks one)")
    parser.add_argument("-k", dest="only", help="only samples whose name contains this")
    args = parser.parse_args(argv)

    chosen: list[Sample] = [s for s in samples("downloader") if not args.only or args.only in s.name]
    burners = start_load() if args.load else []
    outcomes: dict[str, list[tuple[tuple[str, str], ...]]] = defaultdict(list)
    failed_sets: dict[str, list[set[str]]] = defaultdict(list)
    walls: list[float] = []
    errors: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rubric = rubric_for(args.rubric, Path(tmp))
            for run in range(args.repeat):
                for sample in chosen:
                    started = time.perf_counter()
                    report = grade(rubric, "downloader", sample.path)
                    walls.append(time.perf_counter() - started)
                    if report.error:
                        errors.append(f"{sample.name}: {report.error}")
                    outcomes[sample.name].append(tuple((c.id, c.status) for c in report.checks))
                    failed_sets[sample.name].append({c.id for c in report.checks
                                                     if c.status != "passed"})
                print(f"  run {run + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    finally:
        stop_load(burners)

    print(f"downloader corpus: {len(chosen)} samples x {args.repeat} gradings"
          f"{' under load (' + str(len(burners)) + ' CPU burners)' if burners else ''}")
    by_bug: dict[str, list[Sample]] = defaultdict(list)
    for sample in chosen:
        if not sample.correct:
            by_bug[sample.bug].append(sample)
    print("\nbugs caught / present (caught = every must_fail check failed in every grading):")
    total_caught = total_present = 0
    unexpected: list[str] = []
    for bug in sorted(by_bug):
        caught = 0
        for sample in by_bug[bug]:
            runs = failed_sets[sample.name]
            if all(sample.must_fail <= failed for failed in runs):
                caught += 1
            allowed = sample.must_fail | sample.may_fail
            extra = set().union(*runs) - allowed
            if extra:
                unexpected.append(f"{sample.name}: {', '.join(sorted(extra))}")
        total_caught += caught
        total_present += len(by_bug[bug])
        print(f"  {bug:<34} {caught}/{len(by_bug[bug])}")
    print(f"  {'total':<34} {total_caught}/{total_present}")

    correct = [s for s in chosen if s.correct]
    false = [(s.name, i, sorted(f)) for s in correct for i, f in enumerate(failed_sets[s.name]) if f]
    print(f"\nfalse failures on correct samples: {len(false)} "
          f"(in {len(correct)} samples x {args.repeat} gradings)")
    for name, i, ids in false[:20]:
        print(f"  {name} (grading {i + 1}): {', '.join(ids)}")
    if unexpected:
        print("checks failed outside must_fail | may_fail:")
        for line in unexpected:
            print(f"  {line}")

    stable = [s for s in chosen if len(set(outcomes[s.name])) == 1]
    print(f"\nidentical verdicts in all {args.repeat} gradings: {len(stable)}/{len(chosen)} samples")
    for sample in chosen:
        if sample not in stable:
            variants = defaultdict(int)
            for outcome in outcomes[sample.name]:
                variants[tuple(cid for cid, st in outcome if st != "passed")] += 1
            shown = "; ".join(f"{n}x failed {list(ids)}" for ids, n in variants.items())
            print(f"  {sample.name}: {shown}")

    print(f"\nwall time per submission: median {statistics.median(walls):.2f} s, "
          f"max {max(walls):.2f} s")
    for style in ("contract", "script"):
        times = [w for s, w in zip([s for _ in range(args.repeat) for s in chosen], walls)
                 if s.style == style]
        if times:
            print(f"  {style}-style: median {statistics.median(times):.2f} s")
    if errors:
        print(f"\ngrading errors ({len(errors)}):")
        for line in sorted(set(errors))[:10]:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
