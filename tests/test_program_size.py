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
