"""Virtual time under the scheduler: sleeping costs nothing, every clock follows it, and a
program that never ends is stopped at a fixed span of virtual time."""
import datetime
import queue
import threading
import time

from grader.probes.preempt.primitives import patched
from grader.probes.preempt.scheduler import Scheduler

REAL_MONOTONIC = time.monotonic


def run(bodies, **options):
    sched = Scheduler(3, filename="student.py", **options)
    with patched():
        outcome = sched.run(bodies)
    return sched, outcome


def test_sleep_advances_virtual_time_not_real_time():
    seen = []

    def body():
        start = time.time()
        time.sleep(3600)
        seen.append(time.time() - start)

    started = REAL_MONOTONIC()
    _, outcome = run([("T", body)])
    assert outcome.status == "ok" and seen == [3600.0]
    assert REAL_MONOTONIC() - started < 30  # an hour of sleep took no hour


def test_sleepers_wake_in_deadline_order():
    order = []

    def sleeper(name, seconds):
        def body():
            time.sleep(seconds)
            order.append(name)
        return body

    run([("slow", sleeper("slow", 5)), ("fast", sleeper("fast", 1)), ("mid", sleeper("mid", 2))])
    assert order == ["fast", "mid", "slow"]


def test_every_clock_reads_the_same_virtual_time():
    readings = {}

    def body():
        time.sleep(10)
        readings["monotonic"] = time.monotonic()
        readings["perf"] = time.perf_counter()
        readings["time"] = time.time()
        readings["now"] = datetime.datetime.now().timestamp()

    run([("T", body)])
    assert readings["monotonic"] == readings["perf"]
    assert abs(readings["now"] - readings["time"]) < 1e-3


def test_queue_get_with_timeout_waits_virtual_time():
    result = {}

    def body():
        q = queue.Queue()
        start = time.monotonic()
        try:
            q.get(timeout=1)
        except queue.Empty:
            result["waited"] = time.monotonic() - start

    started = REAL_MONOTONIC()
    _, outcome = run([("T", body)])
    assert outcome.status == "ok" and result["waited"] == 1.0
    assert REAL_MONOTONIC() - started < 0.9


def test_a_program_that_never_ends_is_stopped_at_the_time_limit():
    ticks = []

    def forever():
        while True:
            ticks.append(1)
            time.sleep(0.5)

    _, outcome = run([("T", forever)], time_limit=60)
    assert outcome.status == "time" and 100 <= len(ticks) <= 130


def test_a_thread_spinning_on_a_flag_hands_the_turn_on_in_a_serial_run():
    state = {"done": False}

    def waiter():
        while not state["done"]:
            sched.point(None)

    def setter():
        state["done"] = True

    sched = Scheduler(1, filename="student.py", serial=True, spin=100)
    outcome = sched.run([("waiter", waiter), ("setter", setter)])
    assert outcome.status == "ok"


def test_each_thread_draws_the_same_random_numbers_whatever_the_interleaving():
    import random

    def draws(seed):
        got = {}

        def body(name):
            def run_it():
                got[name] = [random.randint(1, 10**6) for _ in range(5) if not sched.point(None)]
            return run_it

        sched = Scheduler(seed, filename="student.py", switch=0.5)
        sched.run([("a", body("a")), ("b", body("b"))])
        return got

    assert draws(1) == draws(2) == draws(3)


def test_clocks_are_real_again_after_the_schedule():
    run([("T", lambda: time.sleep(100))])
    assert time.monotonic is REAL_MONOTONIC
    assert datetime.datetime.now().year >= 2024 and threading._time is REAL_MONOTONIC
