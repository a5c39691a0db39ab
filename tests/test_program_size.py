"""Bank programs of any size run to their end (issue 18, item 3).

A program's sampled part (recorded, with forced thread switches) is short; past it the program
runs with cheap hooks and no step limit, so a correct program of 2 x 2,000,000 or 2 x 10^7
locked updates prints its result and keeps every point. Only a program that never ends is cut:
after 300 s of virtual time, or, if it never sleeps, after `run_seconds` of CPU time. The tests
keep sizes small and lower the sampled budget or the CPU limit to show the same mechanism
(bench/size_bench.py runs the full sizes).
"""
from __future__ import annotations

LOCKED_COUNTER = """
    import threading

    counter = 0
    lock = threading.Lock()


    def work():
        global counter
        for _ in range({n}):
            with lock:
                counter += 1


    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("counter =", counter)
"""


def test_a_locked_counter_far_past_its_sampled_part_runs_to_its_end(grading):
    # 2 x 20,000 updates are some 160,000 scheduling points: 400 times the sampled budget
    rubric = grading.rubric(params={"budget": 400}, fast=False)  # long by design: the param shortens the run
    checks = grading.graded("bank", LOCKED_COUNTER.format(n=20_000), rubric=rubric)
    assert checks["script_runs"].status == "passed", checks["script_runs"].message
    assert checks["script_runs"].message == \
        "your program ran to completion and printed 'counter = 40000'"
    assert checks["script_uses_lock"].status == "passed", checks["script_uses_lock"].message
    assert checks["script_consistent"].status == "passed", checks["script_consistent"].message


def test_a_program_that_never_ends_nor_sleeps_is_cut_by_cpu_time_and_judged(grading):
    rubric = grading.rubric(params={"run_seconds": 0.5}, fast=False)  # long by design: the param shortens the run
    checks = grading.graded("bank", """
        import threading

        ticks = 0
        lock = threading.Lock()


        def spin():
            global ticks
            while True:
                with lock:
                    ticks += 1


        threads = [threading.Thread(target=spin) for _ in range(2)]
        for t in threads:
            t.start()
        print("started")
        for t in threads:
            t.join()
    """, rubric=rubric)
    runs = checks["script_runs"]
    assert runs.status == "passed", runs.message
    assert "still running after 0.5 s of computing without sleeping" in runs.message
    assert checks["script_uses_lock"].status == "passed", checks["script_uses_lock"].message


# -- races after the sampled part (issue 18, item 10) ------------------------------------------
WARM_UP_THEN_CONCURRENT = """
    import threading

    balance = 0
    lock = threading.Lock()


    def deposit(n):
        global balance
        for _ in range(n):
            with lock:
                balance += 1


    def withdraw(n):
        global balance
        for _ in range(n):
            with lock:
                balance += 2
            {check_then_act}


    # a warm-up: each job run one after the other, in the main thread
    for job in [threading.Thread(target=deposit, args=(500,)) for _ in range(2)]:
        job.run()
    workers = [threading.Thread(target=withdraw, args=(2000,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("balance", balance)
"""
UNLOCKED = """if balance >= 1:
                new = balance - 1
                balance = new"""
LOCKED = """with lock:
                if balance >= 1:
                    new = balance - 1
                    balance = new"""


def warm_up_program(locked: bool) -> str:
    return WARM_UP_THEN_CONCURRENT.format(check_then_act=LOCKED if locked else UNLOCKED)


def test_an_unlocked_check_then_act_after_a_warm_up_and_past_the_sample_is_named(grading):
    # the sampled part (100 points) ends long before the withdrawals do: the watch sees the
    # conflict and hands the run to the full oracle, which names the lines
    rubric = grading.rubric(params={"budget": 100}, fast=False)
    checks = grading.graded("bank", warm_up_program(locked=False), rubric=rubric)
    for check in ("script_consistent", "script_uses_lock"):
        # script_uses_lock names the same race; under the race cap its points come back (a note)
        assert checks[check].status in ("failed", "note"), checks[check].message
        assert "bank.py:21" in checks[check].message and "bank.py:22" in checks[check].message, \
            checks[check].message
    assert checks["script_runs"].status == "passed", checks["script_runs"].message


def test_the_same_program_with_its_check_and_act_under_the_lock_passes(grading):
    rubric = grading.rubric(params={"budget": 100}, fast=False)
    checks = grading.graded("bank", warm_up_program(locked=True), rubric=rubric)
    for check in ("script_runs", "script_consistent", "script_uses_lock"):
        assert checks[check].status == "passed", checks[check].message


LATE_RACE = """
    import threading

    balance = 0
    lock = threading.Lock()


    def customer():
        global balance
        for _ in range(3000):
            with lock:
                balance += 2
        for _ in range(50):
            if balance >= 1:
                balance -= 1


    threads = [threading.Thread(target=customer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("balance", balance)
"""


def test_a_race_long_after_the_sampled_part_of_a_concurrent_run_is_named(grading):
    # 2 x 3,000 locked updates use up the sampled part; the unlocked withdrawals come after it
    checks = grading.graded("bank", LATE_RACE)
    consistent = checks["script_consistent"]
    assert consistent.status == "failed", consistent.message
    # named from the reference run (the forced runs' samples end in the locked part)
    assert not consistent.message.startswith("with forced thread switches"), consistent.message
    assert "bank.py:15; holding no lock" in consistent.message, consistent.message


def test_correct_designs_keep_full_marks_when_the_watch_sees_most_of_their_run(grading):
    from test_race_verdicts import CORRECT

    rubric = grading.rubric(params={"budget": 50}, fast=False)
    for name, source in sorted(CORRECT.items()):
        checks = grading.graded("bank", source, rubric=rubric)
        failing = {c.id: c.message for c in checks.report.checks if c.status == "failed"}
        assert not failing, (name, failing)
