"""Script-style bank programs graded end to end: race verdicts come from the race oracle.

Every program is written here for the pattern it stands for (issue 10, items 1-5): state on
objects, a lock used as a signal, a result printed before the threads are joined, races in a
helper module and through indirect access, locks made by helper modules or `_thread`, an actor.
"""
from __future__ import annotations

import textwrap

import pytest

from grader.grading import grade


def graded(rubric, tmp_path, files: dict[str, str]):
    for name, source in files.items():
        (tmp_path / name).write_text(textwrap.dedent(source), encoding="utf-8")
    report = grade(rubric, "bank", tmp_path / "bank.py")
    return {c.id: c for c in report.checks}, report


def failed(checks) -> set[str]:
    """Checks that name a problem, leaving out `api`: a program that does not use the contract's
    names loses that point whatever its races (the rubric's choice, not the race oracle's). A
    race check whose deduction the finding's cap gave back is a note that still names the race."""
    return {cid for cid, c in checks.items() if c.status in ("failed", "note") and cid != "api"}


CORRECT = {
    "object state, random amounts, who gets the last money": """
        import random, threading
        class Account:
            def __init__(self, balance):
                self._balance = balance
                self._lock = threading.Lock()
            def withdraw(self, amount):
                with self._lock:
                    if self._balance >= amount:
                        self._balance -= amount
                        return True
                    return False
            def deposit(self, amount):
                with self._lock:
                    self._balance += amount
        acct = Account(1000)
        def customer():
            acct.deposit(random.randint(1, 50))
            print("got it" if acct.withdraw(800) else "refused")
        threads = [threading.Thread(target=customer) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("final", acct._balance)
    """,
    "lock used as a binary semaphore": """
        import threading
        balance = 100
        lock = threading.Lock()
        finished = [threading.Lock(), threading.Lock()]
        def deposit(i, n):
            global balance
            with lock:
                balance = balance + n
            finished[i].release()  # a lock released by another thread: the main thread waits on it
        for done in finished:
            done.acquire()
        for i, n in enumerate((10, 20)):
            threading.Thread(target=deposit, args=(i, n)).start()
        for done in finished:
            done.acquire()
        print("final", balance)
    """,
    "actor with a queue and one worker thread": """
        import queue, threading
        balance = 0
        jobs = queue.Queue()
        def bank():
            global balance
            while (amount := jobs.get()) is not None:
                balance += amount
        def customer():
            for _ in range(3):
                jobs.put(5)
        worker = threading.Thread(target=bank)
        worker.start()
        customers = [threading.Thread(target=customer) for _ in range(2)]
        for c in customers: c.start()
        for c in customers: c.join()
        jobs.put(None)
        worker.join()
        print("final", balance)
    """,
    "_thread.allocate_lock": """
        import _thread, threading
        balance = 0
        lock = _thread.allocate_lock()
        def deposit():
            global balance
            for _ in range(3):
                with lock:
                    balance += 1
        threads = [threading.Thread(target=deposit) for _ in range(3)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("final", balance)
    """,
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_script_designs_get_full_marks(rubric, tmp_path, name):
    checks, report = graded(rubric, tmp_path, {"bank.py": CORRECT[name]})
    assert failed(checks) == set(), [c.message for c in checks.values() if c.status == "failed"]
    assert {"script_runs", "script_consistent", "script_uses_lock", "script_threads"} <= {
        cid for cid, c in checks.items() if c.status == "passed"}


def test_a_helper_modules_lock_from_threading_is_the_schedulers(rubric, tmp_path):
    checks, report = graded(rubric, tmp_path, {
        "account.py": """
            from threading import Lock
            class Account:
                def __init__(self):
                    self.balance = 0
                    self.lock = Lock()
                def deposit(self, n):
                    with self.lock:
                        self.balance += n
        """,
        "bank.py": """
            import threading
            from account import Account
            acct = Account()
            threads = [threading.Thread(target=acct.deposit, args=(5,)) for _ in range(3)]
            for t in threads: t.start()
            for t in threads: t.join()
            print("final", acct.balance)
        """})
    assert failed(checks) == set(), [c.message for c in checks.values() if c.status == "failed"]


def test_a_race_in_a_helper_module_is_named_in_its_own_file(rubric, tmp_path):
    checks, _ = graded(rubric, tmp_path, {
        "ledger.py": """
            class Ledger:
                def __init__(self):
                    self.total = 0
                def add(self, n):
                    current = self.total
                    self.total = current + n
        """,
        "bank.py": """
            import threading
            from ledger import Ledger
            book = Ledger()
            lock = threading.Lock()
            def customer():
                for _ in range(2):
                    book.add(1)
            threads = [threading.Thread(target=customer) for _ in range(2)]
            for t in threads: t.start()
            for t in threads: t.join()
            print("final", book.total)
        """})
    assert checks["script_consistent"].status == "failed"
    assert "ledger.py:6" in checks["script_consistent"].message
    assert "self.total" in checks["script_consistent"].message


@pytest.mark.parametrize("update", [
    "setattr(acct, 'balance', getattr(acct, 'balance') + 1)",
    "vars(acct)['balance'] += 1",
    "book = ledger; book['x'] = book['x'] + 1",
    "exec('acct.balance = acct.balance + 1')",
])
def test_a_lock_free_update_written_indirectly_is_still_a_race(rubric, tmp_path, update):
    checks, _ = graded(rubric, tmp_path, {"bank.py": f"""
        import threading
        class Account:
            pass
        acct = Account()
        acct.balance = 0
        ledger = {{"x": 0}}
        def customer():
            for _ in range(2):
                {update}
        threads = [threading.Thread(target=customer) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("final", acct.balance, ledger["x"])
    """})
    assert {"script_consistent", "script_uses_lock"} <= failed(checks)


def test_a_final_balance_printed_before_joining_fails_even_if_it_is_constant(rubric, tmp_path):
    checks, _ = graded(rubric, tmp_path, {"bank.py": """
        import threading
        balance = 0
        lock = threading.Lock()
        def deposit():
            global balance
            for _ in range(3):
                with lock:
                    balance += 10
        for _ in range(2):
            threading.Thread(target=deposit).start()
        print("Final balance:", balance)
    """})
    message = checks["script_consistent"].message
    assert checks["script_consistent"].status == "failed"
    assert "join" in message and "bank.py:12" in message


def test_progress_printed_while_threads_run_is_not_the_result(rubric, tmp_path):
    checks, report = graded(rubric, tmp_path, {"bank.py": """
        import threading, time
        balance = 0
        lock = threading.Lock()
        def deposit():
            global balance
            for _ in range(5):
                with lock:
                    balance += 30
                time.sleep(0.01)
        threads = [threading.Thread(target=deposit) for _ in range(2)]
        for t in threads: t.start()
        while any(t.is_alive() for t in threads):
            print("so far", balance)
            time.sleep(0.005)
        for t in threads: t.join()
        print("final", balance)
    """})
    assert failed(checks) == set(), [c.message for c in checks.values() if c.status == "failed"]


HELPER_LOCKS = '''
from threading import Lock
from _thread import allocate_lock


def account_lock():
    return Lock()


def ledger_lock():
    return allocate_lock()
'''

CONTRACT_WITH_HELPER = '''
import threading
from locks import account_lock


class BankAccount:
    def __init__(self, balance=0):
        self._balance = balance
        self._lock = account_lock()

    @property
    def balance(self):
        with self._lock:
            return self._balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            self._balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            if self._balance < amount:
                return False
            self._balance -= amount
            return True


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)
    threads = [threading.Thread(target=customer) for _ in range(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance
'''


def test_a_contract_whose_locks_come_from_a_helper_module_gets_full_marks(rubric, tmp_path):
    checks, report = graded(rubric, tmp_path, {"locks.py": HELPER_LOCKS, "bank.py": CONTRACT_WITH_HELPER})
    assert report.style == "contract"
    assert failed(checks) == set(), [c.message for c in checks.values() if c.status == "failed"]


def test_a_helper_module_that_switches_off_its_hooks_is_caught(rubric, tmp_path):
    checks, report = graded(rubric, tmp_path, {
        "ledger.py": """
            globals()["__grader_setattr__"] = lambda obj, name, value, label, line: setattr(obj, name, value)
            class Ledger:
                def __init__(self):
                    self.total = 0
                def add(self, n):
                    self.total = self.total + n
        """,
        "bank.py": """
            import threading
            from ledger import Ledger
            book = Ledger()
            threads = [threading.Thread(target=book.add, args=(1,)) for _ in range(2)]
            for t in threads: t.start()
            for t in threads: t.join()
            print("final", book.total)
        """})
    tampered = [c for c in checks.values() if "__grader_setattr__ in ledger.py was replaced" in c.message]
    assert tampered and all(c.status == "failed" for c in tampered)


def test_regrading_a_racy_program_gives_the_same_finding(rubric, tmp_path):
    source = {"bank.py": """
        import threading
        class Account:
            def __init__(self):
                self.balance = 0
            def deposit(self, n):
                if n > 0:
                    current = self.balance
                    self.balance = current + n
        acct = Account()
        threads = [threading.Thread(target=acct.deposit, args=(n,)) for n in (1, 2, 3)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("final", acct.balance)
    """}
    first, _ = graded(rubric, tmp_path, source)
    second, _ = graded(rubric, tmp_path, source)
    assert first["script_consistent"].status == "failed"
    assert [(c.status, c.message) for c in first.values()] == [(c.status, c.message) for c in second.values()]


LAST_MONEY = """
    import threading
    balance = 1000
    lock = threading.Lock()
    winner = None
    def customer(name):
        global balance, winner
        with lock:
            if balance >= 800:
                balance -= 800
                winner = name
    threads = [threading.Thread(target=customer, args=(n,)) for n in ("alice", "bob", "carol")]
    for t in threads: t.start()
    for t in threads: t.join()
    print(winner, "got the money; balance", balance)
"""


def test_an_end_another_thread_order_reaches_one_at_a_time_is_legitimate(tmp_path):
    """Forced switches let bob or carol get the money; seeded one-at-a-time runs (who runs
    first when the main thread waits) reach those ends too, so the check says so and passes."""
    from grader.checks.bank.script import _end_differs, script_probe
    from grader.probes.probing import ProbeContext

    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent(LAST_MONEY), encoding="utf-8")
    obs = script_probe(ProbeContext(None, path, path.read_text(), {}, {"schedules": 6}, 4, {}))
    serial = obs["serial"]
    assert serial["globals"]["winner"] == "alice"
    if any(_end_differs(serial, run) for run in obs["runs"]):
        assert {end["globals"]["winner"] for end in obs["serial_ends"]} - {"alice"}


def test_who_got_the_last_money_never_fails_a_locked_program(rubric, tmp_path):
    checks, report = graded(rubric, tmp_path, {"bank.py": LAST_MONEY})
    assert failed(checks) == set(), [c.message for c in checks.values() if c.status == "failed"]
    assert "no update of shared state that another thread can break" in checks["script_consistent"].message


def test_threads_left_in_a_lock_cycle_after_main_ends_are_a_deadlock(rubric, tmp_path):
    """The main thread gives up waiting (join with a timeout) and ends; the two transfers hold
    each other's lock, so the real program would never exit."""
    checks, _ = graded(rubric, tmp_path, {"bank.py": """
        import threading, time
        class Account:
            def __init__(self, balance):
                self.balance = balance
                self.lock = threading.Lock()
        def transfer(src, dst, amount):
            with src.lock:
                time.sleep(0.5)
                with dst.lock:
                    src.balance -= amount
                    dst.balance += amount
        a, b = Account(100), Account(100)
        t1 = threading.Thread(target=transfer, args=(a, b, 10))
        t2 = threading.Thread(target=transfer, args=(b, a, 20))
        t1.start(); t2.start()
        t1.join(2); t2.join(2)
        print("balances", a.balance, b.balance)
    """})
    runs = checks["script_runs"]
    assert runs.status == "failed" and "deadlocked" in runs.message
    assert "one fixed order" in runs.message
    assert "held by" in runs.details and "bank.py:10" in runs.details


def test_a_method_taking_its_own_lock_twice_is_named_as_such(rubric, tmp_path):
    checks, _ = graded(rubric, tmp_path, {"bank.py": """
        import threading
        class Vault:
            def __init__(self):
                self.gold = 0
                self.lock = threading.Lock()
            def add(self, n):
                with self.lock:
                    self._store(n)
            def _store(self, n):
                with self.lock:
                    self.gold += n
        vault = Vault()
        workers = [threading.Thread(target=vault.add, args=(5,)) for _ in range(2)]
        for w in workers: w.start()
        for w in workers: w.join()
        print(vault.gold)
    """})
    runs = checks["script_runs"]
    assert runs.status == "failed" and "a lock it already holds" in runs.message
    assert "RLock" in runs.message and "bank.py:11" in runs.details


def test_a_made_up_transfer_history_too_large_to_search_is_flagged_not_searched_forever():
    """Red team: a child that sends a long, maximally overlapping history must not keep the
    grader's own process busy; the check says it could not decide and the report is flagged."""
    import grader.checks.bank.transfer  # noqa: F401  (registers the check)
    from grader.probes.registry import CHECKS, JudgeContext

    deposits = [{"thread": f"Thread-{i}", "op": "deposit", "args": [0, 1 << i], "result": None,
                 "call": 0, "ret": 100} for i in range(30)]
    impossible = {"thread": "Thread-99", "op": "balance", "args": [0], "result": -1, "call": 0, "ret": 100}
    run = {"seed": 7, "status": "ok", "history": deposits + [impossible], "final": [100, 0]}
    obs = {"refusal": {"result": False, "a": 100, "b": 20}, "runs": [run]}
    verdict = CHECKS["bank.transfer_atomic"].judge(obs, JudgeContext({"schedules": 1}, "bank.py", 7))
    assert verdict.status == "failed" and "could not be checked" in verdict.message
    assert verdict.data.get("forged")
