"""What the race oracle costs: one schedule of a few programs, with the oracle and without it.

    python bench/oracle_bench.py              # best of 5 per program
    python bench/oracle_bench.py --repeat 10

Figures, not assertions. The programs are written here (a locked counter, an unlocked one,
state on objects with a getter and a setter); each runs as a script's main thread under one
seeded schedule with forced switches, the way bank.script runs a submission. "without" keeps
the access hooks (they are the scheduling points and record the story) but makes the oracle's
read and write bookkeeping no-ops.
"""
from __future__ import annotations

import argparse
import builtins
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.probes.preempt.access import hooks  # noqa: E402
from grader.probes.preempt.instrument import instrument  # noqa: E402
from grader.probes.preempt.oracle import RaceOracle  # noqa: E402
from grader.probes.preempt.primitives import patched  # noqa: E402
from grader.probes.preempt.scheduler import Scheduler  # noqa: E402

PROGRAMS = {
    "locked global, 4 x 500": """
import threading
balance = 0
lock = threading.Lock()
def deposit():
    global balance
    for _ in range(500):
        with lock:
            balance += 1
ts = [threading.Thread(target=deposit) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(balance)
""",
    "unlocked attribute, 4 x 500": """
import threading
class Account:
    def __init__(self):
        self.balance = 0
    def deposit(self, n):
        self.balance += n
acct = Account()
def customer():
    for _ in range(500):
        acct.deposit(1)
ts = [threading.Thread(target=customer) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(acct.balance)
""",
    "getter/setter under a lock, 8 x 100": """
import threading
class Account:
    def __init__(self):
        self._balance = 0
        self._lock = threading.RLock()
    def get(self):
        with self._lock:
            return self._balance
    def put(self, value):
        with self._lock:
            self._balance = value
    def deposit(self, n):
        with self._lock:
            self.put(self.get() + n)
acct = Account()
def customer():
    for _ in range(100):
        acct.deposit(1)
ts = [threading.Thread(target=customer) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print(acct.get())
""",
}

_REAL = (RaceOracle.read, RaceOracle.write)
_CLOCK = time.perf_counter  # bound before any schedule: virtual time never reaches it


def _run(source: str) -> tuple[float, int]:
    filename = "/virtual/bench.py"
    code = instrument(source, filename, module_level_points=True)
    namespace = {"__name__": "__main__", "__builtins__": builtins, **hooks()}
    sched = Scheduler(7, filename=filename, source=source, switch=0.1, max_steps=2_000_000)
    saved, sys.stdout = sys.stdout, io.StringIO()
    started = _CLOCK()
    try:
        with patched():
            sched.run([("MainThread", lambda: exec(code, namespace))])
    finally:
        sys.stdout = saved
    return _CLOCK() - started, len(sched.oracle.violations)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'program':36} {'with oracle':>12} {'without':>9} {'ratio':>6}  findings")
    for name, source in PROGRAMS.items():
        timed = [_run(source) for _ in range(args.repeat)]
        with_oracle, found = min(t for t, _ in timed), timed[0][1]
        RaceOracle.read = RaceOracle.write = lambda self, *a, **k: None  # type: ignore[method-assign]
        try:
            without = min(_run(source)[0] for _ in range(args.repeat))
        finally:
            RaceOracle.read, RaceOracle.write = _REAL  # type: ignore[method-assign]
        print(f"{name:36} {with_oracle:11.3f}s {without:8.3f}s {with_oracle / without:6.2f}  {found}")


if __name__ == "__main__":
    main()
