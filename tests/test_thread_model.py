"""The grader's model of threads: every way CPython starts a thread is a thread of the schedule,
and a program exits as CPython's does (non-daemon threads are waited for, daemon ones killed).

The programs are written for these tests (tests/programs/bank/ and inline); none is copied from
the labelled real programs.
"""
from __future__ import annotations

import builtins
import io
import sys
import textwrap
from pathlib import Path

import pytest

from grader.grading import grade
from grader.probes.preempt.access import hooks
from grader.probes.preempt.instrument import instrument
from grader.probes.preempt.primitives import patched
from grader.probes.preempt.scheduler import Scheduler

PROGRAMS = Path(__file__).resolve().parent / "programs" / "bank"


def graded(rubric, path):
    report = grade(rubric, "bank", path)
    return report, {c.id: c for c in report.checks}


def not_passed(report) -> dict[str, str]:
    return {c.id: c.message for c in report.checks if c.status != "passed" and not c.bonus}


def run_program(source: str, seed: int = 1, **options):
    """Run `source` as a program's main thread under one schedule; its output and the scheduler."""
    source = textwrap.dedent(source)
    filename = "/virtual/prog.py"
    code = instrument(source, filename, module_level_points=True)
    namespace = {"__name__": "__main__", "__builtins__": builtins, **hooks()}
    sched = Scheduler(seed, filename=filename, source=source, **options)
    out, saved = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        with patched([namespace]):
            outcome = sched.run([("MainThread", lambda: exec(code, namespace))])
    finally:
        sys.stdout = saved
    return outcome, sched, out.getvalue()


# -- every thread start is scheduled -------------------------------------------------------------
def test_threads_started_with_the_thread_module_count_and_run_under_the_scheduler(rubric):
    report, checks = graded(rubric, PROGRAMS / "start_new_thread.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert checks["script_threads"].message.startswith("4 threads")
    assert "balance 2000" in checks["script_runs"].message


def test_an_unlocked_update_on_thread_module_threads_is_a_race_named_in_its_lines(rubric):
    report, checks = graded(rubric, PROGRAMS / "start_new_thread_racy.py")
    consistent = checks["script_consistent"]
    assert consistent.status == "failed"
    assert "balance (start_new_thread_racy.py:11, then start_new_thread_racy.py:12" in consistent.message


def test_a_reused_thread_id_does_not_confuse_the_schedule():
    """Forty short `_thread` threads one after another: the OS hands their ids out again."""
    outcome, sched, out = run_program("""
        import _thread, threading, time
        done = []
        lock = threading.Lock()
        def work(i):
            threading.current_thread()  # a dummy Thread registered under the (reused) id
            with lock:
                done.append(i)
        for i in range(40):
            _thread.start_new_thread(work, (i,))
            while len(done) <= i:
                time.sleep(0.001)
        print(len(done), threading.active_count())
    """)
    assert outcome.status == "ok", outcome.deadlock
    assert not [t.error for t in outcome.tasks if t.error]
    assert out.split() == ["40", "1"]
    assert sched.table.spawned == 40


@pytest.mark.parametrize("simulate", [
    # threading.Timer: a Thread subclass bound before the grader's replacement
    """
    def simulate(account, customers, deposits_each, amount):
        def customer():
            for _ in range(deposits_each):
                account.deposit(amount)
        timers = [threading.Timer(0.01 * i, customer) for i in range(customers)]
        for t in timers:
            t.start()
        for t in timers:
            t.join()
        return account.balance
    """,
    # multiprocessing.dummy.Pool: DummyProcess workers and a handler waiting on a pipe
    """
    from multiprocessing.dummy import Pool

    def simulate(account, customers, deposits_each, amount):
        def customer(_):
            for _ in range(deposits_each):
                account.deposit(amount)
        with Pool(customers) as pool:
            pool.map(customer, range(customers))
        return account.balance
    """,
    # multiprocessing.pool.ThreadPool, closed and joined
    """
    from multiprocessing.pool import ThreadPool

    def simulate(account, customers, deposits_each, amount):
        def customer(_):
            for _ in range(deposits_each):
                account.deposit(amount)
        pool = ThreadPool(customers)
        pool.map(customer, range(customers))
        pool.close()
        pool.join()
        return account.balance
    """,
    # waiting by polling threading.active_count(): the grader's own threads are not counted
    """
    import time

    def simulate(account, customers, deposits_each, amount):
        def customer():
            for _ in range(deposits_each):
                account.deposit(amount)
                time.sleep(0.01)
        before = threading.active_count()
        for _ in range(customers):
            threading.Thread(target=customer).start()
        while threading.active_count() > before:
            time.sleep(0.05)
        return account.balance
    """,
], ids=["timer", "multiprocessing-dummy", "thread-pool", "active-count"])
def test_customers_started_any_way_cpython_starts_threads_pass_simulate_total(rubric, tmp_path, simulate):
    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent("""
        import threading

        class BankAccount:
            def __init__(self, balance=0):
                self._balance = balance
                self._lock = threading.Lock()
            def deposit(self, amount):
                if amount <= 0:
                    raise ValueError("amount must be positive")
                with self._lock:
                    self._balance += amount
            def withdraw(self, amount):
                if amount <= 0:
                    raise ValueError("amount must be positive")
                with self._lock:
                    if amount > self._balance:
                        return False
                    self._balance -= amount
                    return True
            @property
            def balance(self):
                with self._lock:
                    return self._balance
    """) + textwrap.dedent(simulate), encoding="utf-8")
    report, checks = graded(rubric, path)
    assert checks["simulate_total"].status == "passed", checks["simulate_total"].message
    assert not_passed(report) == {}


# -- the program exits as CPython's does ---------------------------------------------------------
def test_customers_never_joined_are_waited_for_at_exit_as_python_does(rubric):
    report, checks = graded(rubric, PROGRAMS / "customers_not_joined.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "balance now 150" in checks["script_runs"].message


def test_daemon_customers_never_joined_are_killed_at_exit_and_lose_their_work(rubric):
    report, checks = graded(rubric, PROGRAMS / "daemon_customers_not_joined.py")
    runs = checks["script_runs"]
    assert runs.status == "failed"
    assert "daemon thread(s) Thread-1 (customer)" in runs.message and "kills daemon" in runs.message


def test_a_daemon_monitor_looping_forever_is_killed_at_exit_without_penalty(rubric):
    report, checks = graded(rubric, PROGRAMS / "monitor_daemon.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "final balance 3000" in checks["script_runs"].message


def test_daemon_threads_die_when_the_last_non_daemon_thread_ends():
    outcome, sched, out = run_program("""
        import threading, time
        def worker():
            time.sleep(1)
            print("worker done")
        def forever():
            while True:
                time.sleep(0.1)
        threading.Thread(target=forever, daemon=True).start()
        threading.Thread(target=worker).start()
        print("main done")
    """, daemons_die=True)
    assert outcome.status == "ok"
    assert out.splitlines() == ["main done", "worker done"]
    assert sched.killed == ["Thread-1 (forever)"] and sched.killed_working == ["Thread-1 (forever)"]
    assert 1.0 <= sched.now < 1.2


def test_an_idle_daemon_actor_blocked_on_its_queue_at_exit_is_neither_a_deadlock_nor_lost_work():
    outcome, sched, out = run_program("""
        import queue, threading
        jobs, balance = queue.Queue(), [0]
        def teller():
            while True:
                amount = jobs.get()
                balance[0] += amount
                jobs.task_done()
        threading.Thread(target=teller, daemon=True).start()
        for amount in (5, 7, 9):
            jobs.put(amount)
        jobs.join()
        print(balance[0])
    """, daemons_die=True)
    assert outcome.status == "ok", outcome.deadlock
    assert out.strip() == "21"
    assert sched.killed == ["Thread-1 (teller)"]


def test_a_program_whose_daemon_actor_owns_the_balance_earns_every_behaviour_point(rubric, tmp_path):
    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent("""
        import queue
        import threading

        requests = queue.Queue()
        balance = 0

        def teller():
            global balance
            while True:
                amount, done = requests.get()
                balance += amount
                done.set()

        def customer(times):
            for _ in range(times):
                done = threading.Event()
                requests.put((10, done))
                done.wait()

        threading.Thread(target=teller, daemon=True).start()
        customers = [threading.Thread(target=customer, args=(20,)) for _ in range(4)]
        for c in customers:
            c.start()
        for c in customers:
            c.join()
        print("balance", balance)
    """), encoding="utf-8")
    report, checks = graded(rubric, path)
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "balance 800" in checks["script_runs"].message


# -- lost wake-ups ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, wait_line, notify_line", [
    ("lost_wakeup_no_predicate.py", "17 `cond.wait()`", "11 `cond.notify()`"),
    ("lost_wakeup_check_outside_lock.py", "18 `cond.wait()`", "11 `cond.notify_all()`"),
])
def test_a_wait_a_notify_can_precede_is_a_lost_wake_up_named_by_both_lines(rubric, name, wait_line,
                                                                          notify_line):
    report, checks = graded(rubric, PROGRAMS / name)
    consistent = checks["script_consistent"]
    assert consistent.status == "failed"
    assert consistent.message.startswith("a lost wake-up: Thread-1 (withdrawer) waits")
    assert f"{name}:{wait_line}" in consistent.message
    assert f"Thread-2 (depositor) sends at {name}:{notify_line}" in consistent.message
    assert "MainThread waits for Thread-1 (withdrawer) to finish" in consistent.details
    assert checks["script_runs"].status == "passed"  # the order it was written in works


@pytest.mark.parametrize("name", ["wait_in_while_loop.py", "wait_for_predicate.py",
                                  "wait_if_checked_under_lock.py"])
def test_a_wait_whose_predicate_is_checked_under_the_lock_passes_in_every_order(rubric, name):
    report, checks = graded(rubric, PROGRAMS / name)
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "final balance 40" in checks["script_runs"].message


# -- a funds check made once, before a wait ------------------------------------------------------
def test_a_withdrawal_checking_the_funds_with_if_before_its_wait_overdraws_when_two_are_woken(rubric):
    """`if funds < amount: cond.wait()` then the withdrawal: a notify_all wakes every waiter and
    each takes the money. The program's own run ends at 0, so only the fresh-account trial shows
    it: two waiters, a deposit enough for one."""
    name = "wallet_wait_if_notify_all.py"
    report, checks = graded(rubric, PROGRAMS / name)
    assert not_passed(report).keys() == {"api", "script_refuses_overdraft"}, not_passed(report)
    refuses = checks["script_refuses_overdraft"]
    assert f"{name}:16 (`if self.funds < amount:`)" in refuses.message
    assert f"{name}:18 (`self.funds -= amount`)" in refuses.message
    assert "both went through: the balance became -1050" in refuses.message
    assert "`while` instead of `if` at line 16 (`while self.funds < amount:`)" in refuses.message
    assert "wait_for" in refuses.message
    assert "put(50)" in refuses.details and "take(1050)" in refuses.details
    assert report.score == report.max_score - 2


@pytest.mark.parametrize("name", ["wallet_wait_while_notify_all.py", "wallet_wait_if_notify_one.py",
                                  "wallet_wait_if_then_refuse.py"])
def test_a_wait_that_checks_again_or_wakes_one_waiter_keeps_every_point(rubric, name):
    """Its `while` twin, an `if` whose deposit wakes one waiter, an `if` checked again after a
    timed wait: none lets a woken withdrawal overdraw."""
    report, checks = graded(rubric, PROGRAMS / name)
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "funds at the end" in checks["script_runs"].message


# -- threads that outlive a call (a module's actor, an account's worker) -------------------------
CONTRACT = Path(__file__).resolve().parent / "programs" / "bank_contract"


@pytest.mark.parametrize("name", ["module_actor.py", "account_actor.py", "executor_teller.py",
                                  "module_executor.py"])
def test_correct_designs_whose_threads_outlive_each_call_get_full_marks(rubric, name):
    """A module-level teller thread owning every balance, a worker thread per account, a
    one-worker executor per account, a module-level executor: the threads live on between the
    grader's calls, as in a real process, instead of being killed when a call returns."""
    report, checks = graded(rubric, CONTRACT / name)
    assert report.style == "contract"
    assert not_passed(report) == {}, not_passed(report)
    assert report.score == report.max_score


def test_a_module_level_actor_with_customers_run_one_at_a_time_fails_only_simulate_threads(rubric):
    report, checks = graded(rubric, CONTRACT / "module_actor_one_at_a_time.py")
    assert set(not_passed(report)) == {"simulate_threads"}, not_passed(report)
    assert "did not run at the same time" in checks["simulate_threads"].message


def test_an_executor_never_shut_down_ends_at_exit_as_concurrent_futures_ends_it(rubric):
    """Its idle workers are not killed mid-wait (whose traceback would be the last thing the
    program 'printed'): the exit hook shuts the executor down and they end."""
    report, checks = graded(rubric, PROGRAMS / "executor_never_shut_down.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert checks["script_runs"].message.endswith("printed 'balance 200'")
