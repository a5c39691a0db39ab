"""The forced-preemption engine: deterministic schedules that expose races and deadlocks."""
import textwrap
import threading
import types

import pytest

from grader.checks.bank.linearize import MAX_OPS, Undecided, bank_matches, bank_step, linearize
from grader.probes.preempt.access import hooks
from grader.probes.preempt.instrument import instrument
from grader.probes.preempt.primitives import CoopCondition, CoopLock, patched
from grader.probes.preempt.scheduler import Scheduler

RACY = """
class Counter:
    def __init__(self):
        self.value = 0
    def add(self, n):
        self.value += n
"""

LOCKED = """
import threading
class Counter:
    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()
    def add(self, n):
        with self.lock:
            self.value += n
"""


def load(source, name="student.py"):
    module = types.ModuleType("student")
    module.__dict__.update(hooks())
    with patched():
        exec(instrument(textwrap.dedent(source), name), module.__dict__)
    return module


def run_counter(module, seed, threads=3, adds=3):
    with patched([module.__dict__]):
        counter = module.Counter()
        sched = Scheduler(seed, filename="student.py")

        def body():
            for _ in range(adds):
                counter.add(1)

        outcome = sched.run([(f"T{i}", body) for i in range(threads)])
    return counter.value, outcome


def test_augmented_assignment_race_loses_updates_under_some_seed():
    module = load(RACY)
    finals = {run_counter(module, seed)[0] for seed in range(20)}
    assert min(finals) < 9


def test_locked_counter_never_loses_an_update():
    module = load(LOCKED)
    assert {run_counter(module, seed)[0] for seed in range(50)} == {9}


def test_same_seed_gives_the_same_interleaving():
    module = load(RACY)
    first = [(e.thread, e.kind, e.line, e.value) for e in run_counter(module, 7)[1].events]
    second = [(e.thread, e.kind, e.line, e.value) for e in run_counter(module, 7)[1].events]
    assert first == second and len(first) > 10


def test_target_of_augmented_assignment_is_evaluated_once():
    module = load("""
        calls = []
        def key():
            calls.append(1)
            return 0
        def bump(d):
            d[key()] += 5
    """)
    box = {0: 1}
    module.bump(box)
    assert box == {0: 6} and module.calls == [1]


def test_opposite_lock_order_is_reported_as_a_deadlock_with_stacks():
    module = load("""
        import threading
        a, b = threading.Lock(), threading.Lock()
        def one():
            with a:
                with b:
                    pass
        def two():
            with b:
                with a:
                    pass
    """)
    statuses = set()
    for seed in range(20):
        with patched([module.__dict__]):
            sched = Scheduler(seed, filename="student.py", source="")
            outcome = sched.run([("T1", module.one), ("T2", module.two)])
        statuses.add(outcome.status)
        if outcome.status == "deadlock":
            assert {d["thread"] for d in outcome.deadlock} == {"T1", "T2"}
        else:
            assert outcome.inversion is not None  # lockdep sees the inversion without a hang
    assert "deadlock" in statuses


def test_condition_wait_and_notify_hand_over_under_the_scheduler():
    cond = CoopCondition(CoopLock())
    items = []

    def consumer():
        with cond:
            while not items:
                cond.wait()
            items.pop()

    def producer():
        with cond:
            items.append(1)
            cond.notify()

    for seed in range(20):
        outcome = Scheduler(seed, filename="x.py").run([("C", consumer), ("P", producer)])
        assert outcome.status == "ok" and items == []


def test_timed_wait_times_out_only_when_nobody_can_run():
    cond = CoopCondition(CoopLock())
    result = []

    def waiter():
        with cond:
            result.append(cond.wait(timeout=5))

    outcome = Scheduler(1, filename="x.py").run([("W", waiter)])
    assert outcome.status == "ok" and result == [False]


def test_primitives_behave_normally_outside_a_schedule():
    lock = CoopLock()
    assert lock.acquire() and not lock.acquire(blocking=False)
    lock.release()
    done = []
    thread = threading.Thread(target=lambda: done.append(lock.acquire(timeout=1)))
    thread.start()
    thread.join()
    assert done == [True]


def op(thread, kind, args, result, call, ret):
    return {"thread": thread, "op": kind, "args": args, "result": result, "call": call, "ret": ret}


def test_overlapping_operations_may_be_reordered():
    history = [op("T1", "deposit", [0, 5], None, 1, 4), op("T2", "balance", [0], 5, 2, 3)]
    assert linearize(history, (0,), bank_step, bank_matches) == [0, 1]


def test_a_stale_read_after_a_completed_deposit_is_not_linearizable():
    history = [op("T1", "deposit", [0, 5], None, 1, 2), op("T2", "balance", [0], 0, 3, 4)]
    assert linearize(history, (0,), bank_step, bank_matches) is None


def test_money_in_neither_account_is_not_linearizable():
    history = [op("T1", "transfer", [0, 1, 100], True, 1, 10),
               op("T2", "withdraw", [0, 1], False, 2, 3),
               op("T2", "withdraw", [1, 1], False, 4, 5)]
    assert linearize(history, (100, 0), bank_step, bank_matches) is None


def test_a_history_longer_than_the_bound_is_undecided_not_searched():
    history = [op(f"T{i}", "deposit", [0, 1], None, 0, 10) for i in range(MAX_OPS + 1)]
    with pytest.raises(Undecided, match="operations"):
        linearize(history, (0,), bank_step, bank_matches)


def test_a_search_past_its_budget_is_undecided():
    """All deposits overlap and the read is impossible: every order must be tried."""
    history = [op(f"T{i}", "deposit", [0, 1 << i], None, 0, 100) for i in range(20)]
    history.append(op("X", "balance", [0], -1, 0, 100))
    with pytest.raises(Undecided, match="search steps"):
        linearize(history, (0,), bank_step, bank_matches, budget=2_000)


def test_a_short_history_is_decided_well_within_the_budget():
    history = [op(f"T{i}", "deposit", [0, 1 << i], None, 0, 100) for i in range(8)]
    history.append(op("X", "balance", [0], 255, 0, 100))
    assert linearize(history, (0,), bank_step, bank_matches, budget=2_000) is not None
