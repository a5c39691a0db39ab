"""A probe whose threads all wait on what none of them can release is ended at once (grader.sandbox.stuck),
with the deadlock named; anything that may still run keeps the check's own time limit."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.grading import grade
from grader.rubric import parse_rubric
from grader.sandbox import stuck

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.sandbox,  # every test starts a process
              pytest.mark.skipif(stuck._FUTEX is None or not Path("/proc/self/task").is_dir(),
                                 reason="needs Linux's /proc/<pid>/task/<tid>/syscall")]


def verdict_of(threads: str) -> str:
    """stuck() as seen by a watchdog in a fresh process once `threads` (Python code) started."""
    code = textwrap.dedent("""
        import _thread, threading, time
        from grader.sandbox import stuck
        {threads}
        time.sleep(0.3)
        print(stuck.stuck(_thread.get_native_id()))
    """).format(threads=textwrap.indent(textwrap.dedent(threads), "").strip())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_threads_waiting_on_locks_nobody_releases_are_stuck():
    assert verdict_of("""
        held = threading.Lock(); held.acquire()
        def take(): held.acquire()
        def wait(): threading.Event().wait()
        threading.Thread(target=take, daemon=True).start()
        threading.Thread(target=wait, daemon=True).start()
        threading.Thread(target=lambda: threading.main_thread().join(), daemon=True).start()
    """) == "True"


def test_a_thread_that_sleeps_or_waits_with_a_timeout_may_still_release_the_lock():
    assert verdict_of("""
        held = threading.Lock(); held.acquire()
        def take(): held.acquire()
        threading.Thread(target=take, daemon=True).start()
        threading.Thread(target=lambda: time.sleep(30), daemon=True).start()
    """) == "False"
    assert verdict_of("""
        def wait(): threading.Event().wait(30)
        threading.Thread(target=wait, daemon=True).start()
    """) == "False"


def test_a_thread_that_computes_is_not_stuck():
    assert verdict_of("""
        held = threading.Lock(); held.acquire()
        threading.Thread(target=held.acquire, daemon=True).start()
        def spin():
            while True:
                pass
        threading.Thread(target=spin, daemon=True).start()
    """) == "False"


def test_a_deposit_that_takes_its_own_lock_again_fails_its_real_thread_checks_as_a_deadlock(tmp_path):
    """The simulate and two-account checks call deposit on real threads: the deadlock is named
    there too (as the scheduler names it in the others), not waited out for the check's 20 s."""
    rubric = parse_rubric(tmp_path / "rubric.yaml", RUBRIC)
    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent("""
        import threading

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
                    self._balance = self.balance + amount  # the same lock again

            def withdraw(self, amount):
                with self._lock:
                    if amount > self._balance:
                        return False
                    self._balance -= amount
                    return True

        def simulate(account, customers, deposits_each, amount):
            def customer():
                for _ in range(deposits_each):
                    account.deposit(amount)
            threads = [threading.Thread(target=customer) for _ in range(customers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return account.balance
    """))
    report = grade(rubric, "bank", path)
    by_id = {c.id: c for c in report.checks}
    for check in ("independent_accounts", "simulate_threads"):
        assert by_id[check].status == "failed", by_id[check].message
        assert by_id[check].message.startswith("deadlocked: every thread was left waiting")
        assert by_id[check].cause == "timeout"
    assert by_id["api"].status == "passed"


RUBRIC = """
version: 4
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    checks:
      - {id: api, points: 1, description: the API exists}
      - {id: independent_accounts, points: 1, description: two accounts}
      - {id: simulate_threads, points: 1, description: simulate runs threads}
"""


def test_threads_the_server_holds_are_left_out_of_idle():
    """The grader's server holds requests with timed waits; only the server can let them go, so
    with those threads excluded the rest of the process is idle."""
    code = textwrap.dedent("""
        import threading, time
        from grader.sandbox import stuck
        held = []
        def request():
            held.append(threading.get_native_id())
            threading.Event().wait(30)  # timed: what a held request looks like
        threading.Thread(target=request, daemon=True).start()
        threading.Thread(target=threading.Event().wait, daemon=True).start()
        time.sleep(0.3)
        print(stuck.idle(set()), stuck.idle(set(held)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.stdout.split() == ["False", "True"], done.stderr


def _gate_run(caller_waits: str) -> str:
    """How simulate's gate (two customers) opened for one customer, while the caller (the main
    thread) does `caller_waits`, with the own-time limit at an hour: it can open only by seeing
    that no other customer can come."""
    code = textwrap.dedent("""
        import threading, time
        from grader.checks.bank import simulate
        simulate.NO_ARRIVAL_SECONDS = 3600.0
        gate = simulate._Gate(2, threading.get_ident())
        customer = threading.Thread(target=gate.arrive)
        customer.start()
        {caller_waits}
        print(gate.how or "still closed")
    """).format(caller_waits=caller_waits)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_simulates_gate_gives_up_at_once_when_no_other_customer_can_come():
    """The caller joins its one customer, untimed (threads started and joined one at a time):
    nothing can arrive until the gate opens, so it does not wait out NO_ARRIVAL_SECONDS."""
    assert _gate_run("customer.join()") == "gave up waiting for more threads"


def test_simulates_gate_keeps_waiting_while_a_thread_could_still_come():
    """The caller sleeps (a timed wait: it may start another customer afterwards)."""
    assert _gate_run("time.sleep(0.5)") == "still closed"
