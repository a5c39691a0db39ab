"""Interleaving coverage, and the rule that stops exploring schedules once it stops growing.

What a schedule covered (Maple's interleaving idioms, Yu et al., OOPSLA 2012, idiom 1): the set
of ordered pairs `site A -> site B` where A and B are consecutive accesses of one location (or
acquisitions of one lock) by two different threads, at least one of them a write (taking a lock
counts as a write of the lock). A site is where the access is in the student's code (file and
line) and its kind (`r`/`w`): never an object id or an address, so the same seed gives the same
pairs on any machine. Only the sampled part of a schedule feeds it (the race oracle's hooks and
the scheduler's lock bookkeeping in full mode), one dict lookup per access.

A race probe explores schedules until one shows a problem or the rule says enough: at least
`floor` schedules, then as soon as `patience` schedules in a row added no pair that no earlier
schedule covered; never more than `schedules` (the rubric's maximum). Each schedule's record
carries its count of new pairs (`new_pairs`), so the judge re-derives where the rule stops and
accepts fewer schedules than the maximum only there (`Rule.expected`).

Why these numbers. A probe's `floor` is the most of three figures (`floor_for`):
* PCT's view of a depth-2 bug. A race the oracle names in locked code needs another thread's
  write to fall inside a window (a read, or a check, then the write in a second holding of the
  lock): a bug of depth 2 (Burckhardt et al., ASPLOS 2010), which PCT finds with probability at
  least 1/(n k) per run (n threads, k steps), its one priority change having to land on the
  window's step. This scheduler flips a coin (`switch`, 1/2) at every point instead, so a window
  is preempted with probability at least 1/2 rather than 1/k; the next thread is the writer with
  probability at least 1/(n - 1), and it reaches its write before the preempted thread is picked
  again with probability at least about 1/2: per window at least 1/12 with the scenarios' n = 4.
  A scenario offers at least 6 windows (every thread's every operation), so a schedule misses
  them all with probability at most (11/12)^6 < 0.59: `DEPTH2_RATE` = 0.41 per schedule.
  (Unsynchronised accesses need no particular order at all: the oracle names them in any
  schedule in which both happen, which the measured rates of 1.00 show.)
* The measured rate. `MEASURED` holds, per probe, the lowest per-schedule rate at which it
  caught a known bug: 200 single schedules per probe on every buggy contract bank of
  tests/corpus/bank and tests/programs/bank (the atomic transfer: also the nine non-atomic
  transfers of tests/programs/bank_transfer). A rate p needs ln(MISS) / ln(1 - p) schedules for
  a miss probability of at most `MISS` (10^-3) in one grading.
* The measured first failures. The latest schedule (0-based) at which a probe first failed a
  known bug when graded with its default seed and 7 others, times 3, plus 1.
Replayed offline (the per-schedule verdicts and pairs of schedule seeds 0-199 for every
contract bank of tests/corpus/bank and tests/programs/bank, 41 files, each grading seed 0-159, or
0-119 for the transfer's 80), the rule gives every probe the status the fixed count gives in all
32,020 gradings; the latest first failures there were 16 (linearizable) and 30 (the transfer,
before its schedules were directed).
The atomic transfer's schedules are directed (gaps.py: in half of the transfer calls the mover
runs alone up to its first release after a change, then waits while the auditors make 8
operations). Its lowest rate went from 0.10 (buggy_transfer_nonatomic; 0.04 for a transfer
that debits and credits in two holdings of the accounts' locks) to 0.585 over the ten shapes,
so its floor went from 66 to 14, the depth-2 figure: the rate alone asks for 8, its latest
first failure (2, over the ten shapes' default seeds and 7 others each) for 7. Over grading
seeds 0-159 of each shape the latest first failure is 6: every one of those gradings fails
before the floor. The eight correct transfers (tests/corpus/bank, tests/programs/bank_transfer,
reference/bank.py) passed all 200 schedules, also with every call directed. The "3 x latest"
term stays (it binds no probe now; it guards a rate measured on too few files), and so does
`PATIENCE` for the transfer: the directed calls add few pairs of their own, and the correct
transfers stop at 14 to 19 schedules.
Past the floor, `PATIENCE` (6) schedules in a row without a new pair end the exploration: a
correct bank's pairs stop growing within its first few schedules (its accesses are all under
one lock, so the pairs are few: 2 to 16 per probe for the reference bank), a racy bank's keep
coming for longer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Hashable

from grader.probes.preempt.active import identity

MISS = 1e-3  # the chance a known bug's probe may miss it in one grading, at its lowest measured rate
PATIENCE = 6  # past the floor, stop once this many schedules in a row added no new pair
DEPTH2_RATE = 0.41  # PCT's view of a depth-2 window in these scenarios, per schedule (above)

# probe: (lowest per-schedule rate at which it caught a known bug, latest first failing schedule)
MEASURED: dict[str, tuple[float, int]] = {
    "bank.no_lost_update": (1.0, 0),  # unlocked or too small a lock: the oracle, any schedule
    "bank.no_overdraft": (1.0, 0),
    "bank.conservation": (0.98, 0),  # buggy_check_then_act
    "bank.linearizable": (0.24, 4),  # buggy_separate_locks: the history must show it
    "bank.simulate_total": (0.58, 3),  # buggy_simulate_own_counter: the total must come out wrong
    "bank.transfer_atomic": (0.585, 2),  # directed (gaps.py): tests/programs/bank_transfer/through_helper
    "bank.transfer_no_deadlock": (1.0, 0),  # a lock-order inversion is seen without a deadlock
}


def _needed(rate: float) -> int:
    """Schedules that find, with probability at least 1 - MISS, what each finds with `rate`."""
    if rate >= 1.0:
        return 1
    return math.ceil(math.log(MISS) / math.log(1.0 - rate))


def floor_for(rate: float, latest: int) -> int:
    """The fewest schedules a probe explores (see the module's docstring)."""
    return max(_needed(DEPTH2_RATE), _needed(rate), 3 * latest + 1)


FLOORS = {probe: floor_for(*measured) for probe, measured in MEASURED.items()}
FLOOR = floor_for(DEPTH2_RATE, 0)  # a probe not measured

Site = tuple[str, Any, str]  # (file's base name, line or lock name, "r" | "w")
Pair = tuple[Site, Site]


class Coverage:
    """The pairs one schedule covered (fed by the race oracle and the scheduler)."""

    __slots__ = ("last", "pairs", "keep")

    def __init__(self) -> None:
        self.last: dict[Hashable, tuple[int, Site]] = {}  # location -> its latest access
        self.pairs: set[Pair] = set()
        self.keep: list[Any] = []  # locks seen: alive for the schedule, so an id stays theirs

    def access(self, tid: int, loc: Hashable, file: str, line: Any, write: bool) -> None:
        """Thread `tid` accessed location `loc` (the oracle's: its own numbering, not ids)."""
        site = (file.rsplit("/", 1)[-1], line, "w" if write else "r")
        last = self.last.get(loc)
        self.last[loc] = (tid, site)
        if last is not None and last[0] != tid and (write or last[1][2] == "w"):
            self.pairs.add((last[1], site))

    def acquired(self, tid: int, lock: Any, file: str, line: int | None, name: str) -> None:
        """Thread `tid` took `lock` at `line` of `file` (None: not in the student's code, then
        the site is the lock's name, e.g. `account.lock`)."""
        key = ("lock", identity(lock))  # not id(): an audit event in the child
        if key not in self.last:
            self.keep.append(lock)
        self.access(tid, key, file if line is not None else "", line if line is not None else name, True)


@dataclass(frozen=True)
class Rule:
    """When to stop exploring: `maximum` schedules at most; with `on`, at least `floor`, then
    once `patience` schedules in a row added no new pair. From the rubric's params:
    `schedules` (the maximum), `coverage: false` (always the maximum), `coverage_floor`,
    `coverage_patience`."""

    maximum: int
    on: bool = True
    floor: int = FLOOR
    patience: int = PATIENCE

    @staticmethod
    def of(params: dict[str, Any], maximum: int, probe: str) -> "Rule":
        """The rule of `probe` (its floor from `FLOORS`), with the rubric's params."""
        return Rule(int(params.get("schedules", maximum)), params.get("coverage", True) is not False,
                    int(params.get("coverage_floor", FLOORS.get(probe, FLOOR))),
                    max(1, int(params.get("coverage_patience", PATIENCE))))

    def done(self, news: list[int]) -> bool:
        """After the schedules whose new pairs are `news`: explore no more?"""
        if len(news) >= self.maximum:
            return True
        return self.on and len(news) >= max(self.floor, self.patience) \
            and not any(news[-self.patience:])

    def expected(self, news: list[int]) -> int:
        """How many schedules the rule runs, given each schedule's new pairs (the judge's side:
        `news` as the records say; the maximum where they run out first)."""
        for count in range(1, len(news) + 1):
            if self.done(news[:count]):
                return count
        return self.maximum

    def evidence(self, news: list[int]) -> str:
        """What the schedules explored, for a passing message."""
        ran, covered = len(news), sum(news)
        if not self.on:
            return f"{ran} schedules"
        if ran < self.maximum:
            return (f"{ran} of up to {self.maximum} schedules: the last {self.patience} added no new "
                    f"interleaving of the shared accesses; {covered} covered")
        return f"{ran} schedules; {covered} interleavings of the shared accesses covered"


def new_pairs(runs: list[dict[str, Any]]) -> list[int] | None:
    """Each record's count of new pairs, or None if a record lacks a valid one."""
    news = [run.get("new_pairs") if isinstance(run, dict) else None for run in runs]
    if not all(type(n) is int and n >= 0 for n in news):
        return None
    return news  # type: ignore[return-value]
