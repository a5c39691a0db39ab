"""The race oracle on whole programs run by the scheduler: bugs it names, designs it accepts.

Each program is written here (never copied from the labelled real programs); a program runs as
a script's main thread under a seeded schedule, and the oracle's findings are read afterwards.
"""
from __future__ import annotations

import builtins
import io
import sys
import textwrap

import pytest

from grader.probes.preempt.access import hooks
from grader.probes.preempt.instrument import instrument
from grader.probes.preempt.primitives import patched
from grader.probes.preempt.scheduler import Scheduler


def run(source: str, seed: int = 3, switch: float = 0.2, tmp_path=None):
    source = textwrap.dedent(source)
    filename = "/virtual/prog.py"
    code = instrument(source, filename, module_level_points=True)
    namespace = {"__name__": "__main__", "__builtins__": builtins, **hooks()}
    sched = Scheduler(seed, filename=filename, source=source, switch=switch)
    out, saved = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        with patched():
            outcome = sched.run([("MainThread", lambda: exec(code, namespace))])
    finally:
        sys.stdout = saved
    assert outcome.status == "ok", outcome.deadlock
    assert not [t.error for t in outcome.tasks if t.error]
    return sched.oracle


def violations(source: str, **kwargs) -> list[tuple[str, int | None, int | None]]:
    oracle = run(source, **kwargs)
    return [(v.location, v.start.line, v.write.line) for v in oracle.violations]


# -- bugs the oracle names -------------------------------------------------------------------
def test_state_kept_on_an_object_is_a_location():
    found = violations("""
        import threading
        class Acct:
            def __init__(self):
                self._balance = 0
            def deposit(self, n):
                new = self._balance + n
                self._balance = new
        acct = Acct()
        ts = [threading.Thread(target=acct.deposit, args=(1,)) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(acct._balance)
    """)
    assert found and found[0][0] == "self._balance"


@pytest.mark.parametrize("body", [
    "setattr(acct, 'balance', getattr(acct, 'balance') + 1)",
    "acct.__dict__['balance'] += 1",
    "vars(acct)['balance'] = vars(acct)['balance'] + 1",
    "exec('acct.balance += 1')",
    "acct.balance = eval('acct.balance + 1')",
    "(lambda: setattr(acct, 'balance', acct.balance + 1))()",
])
def test_indirect_attribute_updates_are_seen(body):
    found = violations(f"""
        import threading
        class Acct:
            balance = 0
        acct = Acct()
        acct.balance = 0
        def work():
            for _ in range(2):
                {body}
        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """)
    assert found


def test_a_module_level_dict_without_global_and_a_local_alias_are_seen():
    found = violations("""
        import threading
        balances = {"a": 0}
        def work():
            book = balances
            for _ in range(2):
                book["a"] = book["a"] + 1
        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """)
    assert found and found[0][0] == 'book["a"]' or found[0][0] == "book['a']"


def test_check_then_act_across_two_lock_holdings_is_named():
    program = """
        import threading
        lock = threading.Lock()
        balance = 100
        def withdraw(n):
            global balance
            with lock:
                ok = balance >= n
            if ok:
                with lock:
                    balance -= n
        ts = [threading.Thread(target=withdraw, args=(80,)) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """
    # ordered by the lock either way, so only a schedule that runs the other withdrawal
    # between the check and the update shows it; a few seeds always contain one
    assert any(("balance", 8, 11) in violations(program, seed=seed) for seed in range(6))


def test_a_final_read_without_join_is_racy_for_the_main_thread():
    oracle = run("""
        import threading
        balance = 0
        lock = threading.Lock()
        def deposit():
            global balance
            for _ in range(3):
                with lock:
                    balance += 1
        for _ in range(2):
            threading.Thread(target=deposit).start()
        print(balance)
    """)
    assert oracle.violations == []
    assert any(r.read.thread == "MainThread" and r.read.line == 12 for r in oracle.racy_reads)


# -- designs that must not be flagged --------------------------------------------------------
CLEAN = {
    "lock": """
        import threading
        class Acct:
            def __init__(self):
                self.balance = 0
                self.lock = threading.Lock()
            def deposit(self, n):
                with self.lock:
                    self.balance += n
        acct = Acct()
        ts = [threading.Thread(target=acct.deposit, args=(1,)) for _ in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(acct.balance)
    """,
    "lock used as a binary semaphore": """
        import threading
        balance = 0
        done = threading.Lock()
        def work():
            global balance
            balance = balance + 10
            done.release()
        done.acquire()
        threading.Thread(target=work).start()
        done.acquire()
        balance = balance + 1
        print(balance)
    """,
    "stop flag and progress counter": """
        import threading, time
        stop = False
        progress = 0
        lock = threading.Lock()
        def work():
            global progress
            while not stop:
                with lock:
                    progress += 1
                time.sleep(0)
        t = threading.Thread(target=work)
        t.start()
        for _ in range(3):
            print("progress", progress)
            time.sleep(0)
        stop = True
        t.join()
    """,
    "unlocked append of results": """
        import threading
        results = []
        def work(i):
            results.append(i * i)
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(sorted(results))
    """,
    "thread-confined objects and objects built before start": """
        import threading
        class Acct:
            def __init__(self):
                self.balance = 0
            def deposit(self, n):
                self.balance += n
        shared = Acct()
        shared.deposit(5)
        def work():
            mine = Acct()
            for _ in range(3):
                mine.deposit(1)
            print(shared.balance)
        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """,
    "hand-off through a queue and an event": """
        import threading, queue
        box = {"value": 0}
        q = queue.Queue()
        ready = threading.Event()
        def producer():
            box["value"] = box["value"] + 1
            q.put(1)
        def consumer():
            q.get()
            box["value"] = box["value"] + 1
            ready.set()
        ts = [threading.Thread(target=producer), threading.Thread(target=consumer)]
        for t in ts: t.start()
        ready.wait()
        box["value"] = box["value"] + 1
        print(box["value"])
    """,
    "condition wait for funds": """
        import threading
        balance = 0
        cond = threading.Condition()
        def withdraw(n):
            global balance
            with cond:
                while balance < n:
                    cond.wait()
                balance -= n
        def deposit(n):
            global balance
            with cond:
                balance += n
                cond.notify_all()
        ts = [threading.Thread(target=withdraw, args=(5,)), threading.Thread(target=deposit, args=(5,))]
        for t in ts: t.start()
        for t in ts: t.join()
        print(balance)
    """,
    "barrier between two phases": """
        import threading
        slots = [0, 0]
        total = [0]
        barrier = threading.Barrier(2)
        def work(i):
            slots[i] = slots[i] + i + 1
            barrier.wait()
            if i == 0:
                total[0] = slots[0] + slots[1]
        ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(total[0])
    """,
    "semaphore as a lock and a pool's results read after shutdown": """
        import threading
        from concurrent.futures import ThreadPoolExecutor
        balance = {"value": 0}
        guard = threading.Semaphore(1)
        def deposit(n):
            with guard:
                balance["value"] = balance["value"] + n
            return n
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(deposit, n) for n in (1, 2, 3)]
        print(sum(f.result() for f in futures), balance["value"])
    """,
    "one-worker pool per account": """
        from concurrent.futures import ThreadPoolExecutor
        class Account:
            def __init__(self):
                self.balance = 0
                self.worker = ThreadPoolExecutor(max_workers=1)
            def deposit(self, n):
                def apply():
                    self.balance += n
                return self.worker.submit(apply)
        a, b = Account(), Account()
        pending = [acct.deposit(n) for n in (1, 2) for acct in (a, b)]
        for p in pending:
            p.result()
        a.worker.shutdown()
        b.worker.shutdown()
        print(a.balance, b.balance)
    """,
    "hand-off through a flag a thread spins on": """
        import threading, time
        balance = 0
        ready = False
        def producer():
            global balance, ready
            balance = balance + 50
            ready = True
        def consumer():
            global balance
            while not ready:
                time.sleep(0)
            balance = balance - 20
        ts = [threading.Thread(target=consumer), threading.Thread(target=producer)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(balance)
    """,
    "thread-local state": """
        import threading
        mine = threading.local()
        totals = []
        def work(n):
            mine.total = 0
            for _ in range(3):
                mine.total = mine.total + n
            totals.append(mine.total)
        ts = [threading.Thread(target=work, args=(n,)) for n in (1, 2)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(sorted(totals))
    """,
    "actor with one worker thread": """
        import threading, queue
        balance = 0
        jobs = queue.Queue()
        def actor():
            global balance
            while True:
                n = jobs.get()
                if n is None:
                    break
                balance += n
        worker = threading.Thread(target=actor)
        worker.start()
        def customer():
            for _ in range(3):
                jobs.put(1)
        cs = [threading.Thread(target=customer) for _ in range(2)]
        for c in cs: c.start()
        for c in cs: c.join()
        jobs.put(None)
        worker.join()
        print(balance)
    """,
}


@pytest.mark.parametrize("name", sorted(CLEAN))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_correct_designs_are_not_flagged(name, seed):
    oracle = run(CLEAN[name], seed=seed)
    assert oracle.violations == []


def test_a_counter_updated_from_two_threads_without_a_lock_is_a_race():
    found = violations("""
        import collections, threading
        tally = collections.Counter()
        def work():
            for _ in range(2):
                tally.update({"deposits": 1})
        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """)
    assert found and found[0][0] == "tally['deposits']"


def test_a_counter_updated_under_a_lock_and_a_dict_update_are_not_flagged():
    assert violations("""
        import collections, threading
        tally = collections.Counter()
        lock = threading.Lock()
        seen = {}
        def work(i):
            with lock:
                tally.update({"deposits": 1})
            seen.update({i: True})
        ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """) == []


def test_a_getter_and_a_setter_called_from_the_threads_entry_are_one_update():
    found = violations("""
        import threading
        class Account:
            def __init__(self):
                self.balance = 0
            def get(self):
                return self.balance
            def set(self, value):
                self.balance = value
            def deposit(self, n):
                self.set(self.get() + n)
        acct = Account()
        ts = [threading.Thread(target=acct.deposit, args=(n,)) for n in (1, 2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """)
    assert found and found[0][0] == "self.balance"


def test_a_check_made_in_an_earlier_iteration_does_not_open_a_window():
    assert violations("""
        import threading
        balance = 100
        lock = threading.Lock()
        def withdraw(n):
            global balance
            with lock:
                if balance >= n:
                    balance -= n
        def teller():
            for _ in range(3):
                if balance > 1000:
                    print("rich")
                withdraw(10)
        ts = [threading.Thread(target=teller) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """) == []


# -- a container's size: slots taken from len(), checks before a pop --------------------------
FETCH_ABC = """
        ts = [threading.Thread(target=fetch, args=(u,)) for u in "abc"]
        for t in ts: t.start()
        for t in ts: t.join()
        print(results)
"""  # three threads run fetch("a"), fetch("b"), fetch("c"); then the results are printed
SLOT_BUGS = {
    "append, then len - 1": """
        import threading
        results = []
        def fetch(url):
            code = 200
            results.append(None)
            slot = len(results) - 1
            results[slot] = (url, code)
    """ + FETCH_ABC,
    "len, then append": """
        import threading
        results = []
        def fetch(url):
            slot = len(results)
            results.append(None)
            results[slot] = url
    """ + FETCH_ABC,
}


@pytest.mark.parametrize("name", sorted(SLOT_BUGS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_slot_taken_from_a_shared_length_is_a_race_in_every_schedule(name, seed):
    oracle = run(SLOT_BUGS[name], seed=seed)
    found = [v for v in oracle.violations if v.via is not None]
    assert found, oracle.violations
    assert found[0].location == "len(results)"
    assert found[0].via.label == "len(results)" and found[0].write.label.startswith("results[")


SPLIT_SLOT = """
        import threading
        results = []
        lock = threading.Lock()
        def fetch(url):
            with lock:
                results.append(None)
            with lock:
                slot = len(results) - 1
            results[slot] = url
    """ + FETCH_ABC


def test_a_slot_taken_across_two_lock_holdings_is_named_when_a_thread_falls_between():
    """Each holding is ordered; the gap between them is what another append can fall into,
    so the finding needs a schedule that switches there (one of a few seeds does)."""
    found = [v for seed in range(1, 7) for v in run(SPLIT_SLOT, seed=seed).violations
             if v.via is not None]
    assert found and found[0].via.locks == ("lock",)


SIZE_CLEAN = {
    "append and len under one lock, the write outside it": """
        import threading
        results = []
        lock = threading.Lock()
        def fetch(url):
            with lock:
                results.append(None)
                slot = len(results) - 1
            results[slot] = url
    """ + FETCH_ABC,
    "unlocked appends of finished results": """
        import threading
        results = []
        def fetch(url):
            results.append((url, 200))
        ts = [threading.Thread(target=fetch, args=(u,)) for u in "abcd"]
        for t in ts: t.start()
        for t in ts: t.join()
        print(len(results))
    """,
    "a progress line around an append": """
        import threading
        results = []
        def fetch(url):
            print(f"{len(results)} done before {url}")
            results.append(url)
            print(f"{len(results)} of 4 done")
        ts = [threading.Thread(target=fetch, args=(u,)) for u in "abcd"]
        for t in ts: t.start()
        for t in ts: t.join()
    """,
    "each thread writes its own index": """
        import threading
        urls = list("abcd")
        results = [None] * len(urls)
        def fetch(i):
            results[i] = (urls[i], len(urls))
        ts = [threading.Thread(target=fetch, args=(i,)) for i in range(len(urls))]
        for t in ts: t.start()
        for t in ts: t.join()
        print(results)
    """,
    "workers popping a shared list until it is empty": """
        import threading
        from collections import deque
        urls = deque("abcdef")
        done = []
        def worker():
            while True:
                try:
                    url = urls.popleft()
                except IndexError:
                    return
                done.append(url)
        ts = [threading.Thread(target=worker) for _ in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(sorted(done))
    """,
    "a slot taken under a lock from a list built before the threads": """
        import threading
        results = []
        lock = threading.Lock()
        for _ in range(3):
            results.append(None)
        def fetch(url):
            with lock:
                slot = results.index(None)
                results[slot] = url
    """ + FETCH_ABC,
}


@pytest.mark.parametrize("name", sorted(SIZE_CLEAN))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_atomic_container_calls_and_owned_slots_are_not_flagged(name, seed):
    oracle = run(SIZE_CLEAN[name], seed=seed)
    assert oracle.violations == []
    assert oracle.unordered_writes == []


def test_a_size_check_then_an_unlocked_pop_is_a_check_then_act():
    oracle = run("""
        import threading
        urls = list("abcdef")
        def worker():
            while True:
                if len(urls) == 0:
                    return
                try:
                    urls.pop()
                except IndexError:  # what the check was meant to prevent
                    return
        ts = [threading.Thread(target=worker) for _ in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
    """, seed=2)
    assert any(v.location == "len(urls)" and v.write.label == "urls.pop(...)"
               for v in oracle.violations)


def test_a_length_printed_before_joining_is_a_racy_read_of_the_main_thread():
    oracle = run("""
        import threading
        results = []
        def fetch(url):
            results.append(url)
        for u in "abc":
            threading.Thread(target=fetch, args=(u,)).start()
        print(len(results))
    """, seed=1)
    assert any(r.read.thread == "MainThread" and r.location == "len(results)"
               for r in oracle.racy_reads)


def test_a_module_binding_its_own_len_keeps_it():
    from grader.probes.preempt.instrument import LEN
    code = instrument("def len(x):\n    return 7\nn = len([1])\n", "/virtual/own_len.py")
    assert LEN not in code.co_names
    namespace = {"__builtins__": builtins, **hooks()}
    exec(code, namespace)
    assert namespace["n"] == 7


TALLY = """
    import threading
    counts = {}
    lock = threading.Lock()
    def fetch(code):
        {guard}counts[code] = counts.get(code, 0) + 1
    ts = [threading.Thread(target=fetch, args=(200,)) for _ in range(3)]
    for t in ts: t.start()
    for t in ts: t.join()
    print(counts)
"""


def test_a_tally_kept_with_dict_get_is_a_read_then_write():
    found = violations(TALLY.replace("{guard}", ""), seed=1)
    assert found and found[0][0] == "counts[200]"


def test_a_tally_kept_with_dict_get_under_a_lock_is_not_flagged():
    oracle = run(TALLY.replace("{guard}", "with lock: "), seed=1)
    assert oracle.violations == []


def test_get_on_anything_but_a_dict_is_the_plain_call():
    oracle = run("""
        import queue, threading
        q = queue.Queue()
        class Pages:
            def get(self, url):
                return url.upper()
        def worker():
            print(Pages().get("a"), q.get(True, 1))
        t = threading.Thread(target=worker)
        t.start()
        q.put(1)
        t.join()
    """)
    assert oracle.violations == []
