"""A check's time limit counts the child's own time, not the machine's load (grader/sandbox/owntime.py).

The budget logic is tested with injected clocks and samplers; the end-to-end tests replace the
sandbox's reading of the child with one that says the child waited for a CPU all along (a
machine as busy as can be, made deterministic), and show that a program that ends is judged as
on an idle machine, and one that the wall backstop has to cut is the grader's error, not the
student's failure. No timing is asserted.
"""
import textwrap

import pytest

from conftest import ROOT
from grader.grading import grade
from grader.results import Cause, Status
from grader.rubric import parse_rubric
from grader.sandbox import owntime, session as sandbox_session
from grader.sandbox.owntime import Limit, OwnClock, Sample, own_increment


class FakeTime:
    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.stall = 0.0

    def sample(self) -> Sample:
        return Sample(self.wall, self.cpu, self.stall)

    def run(self, seconds: float, share: float) -> None:
        """`seconds` of wall time in which the child computed `share` of the time and waited
        for a CPU the rest."""
        self.wall += seconds
        self.cpu += seconds * share
        self.stall += seconds * (1 - share)

    def block(self, seconds: float) -> None:
        """`seconds` in which the child waited for something (a lock, a sleep): no CPU, no stall."""
        self.wall += seconds


def started(fake: FakeTime, seconds: float) -> Limit:
    clock = OwnClock(wall=lambda: fake.wall)
    clock.attach(fake.sample)
    return Limit(clock, seconds)


def test_time_spent_waiting_for_a_cpu_is_not_the_programs():
    fake = FakeTime()
    limit = started(fake, 40)
    fake.run(150, share=0.1)  # 15 s of computing on a machine that gave it a tenth of a core
    assert limit.state() == "running"
    assert limit.used() == pytest.approx(15)
    fake.run(60, share=1.0)  # the machine is free again: 25 s more of computing
    assert limit.state() == "expired"


def test_a_blocked_program_uses_its_wall_time_however_busy_the_machine():
    fake = FakeTime()
    limit = started(fake, 20)
    fake.block(19)
    assert limit.state() == "running"
    fake.block(2)
    assert limit.state() == "expired"  # a deadlock outside the scheduler is cut as on an idle machine


def test_the_wall_backstop_is_the_machines_fault():
    fake = FakeTime()
    limit = started(fake, 10)
    fake.run(10 * owntime.BACKSTOP + owntime.SLACK, share=0.01)
    assert limit.state() == "busy"


def test_a_program_that_used_its_time_is_expired_even_past_the_backstop():
    fake = FakeTime()
    limit = started(fake, 10)
    fake.run(10 * owntime.BACKSTOP + owntime.SLACK, share=0.5)
    assert limit.state() == "expired"


def test_cpu_time_counts_even_when_the_pressure_figure_says_otherwise():
    """Two processes computing at once can use more CPU than wall time: the CPU is the floor."""
    assert own_increment(Sample(0, 0, 0), Sample(1, 2, 1)) == 2


def test_without_pressure_figures_an_idle_interval_counts_in_full_and_a_busy_one_its_cpu():
    assert own_increment(Sample(0, 0), Sample(10, 0.01)) == 10  # blocked (a sleep, a lock)
    assert own_increment(Sample(0, 0), Sample(10, 1.5)) == pytest.approx(1.5)  # starved computing
    assert own_increment(Sample(0), Sample(10)) == 10  # nothing known: wall time, as before


def test_a_new_child_keeps_the_time_of_the_ones_before():
    fake = FakeTime()
    clock = OwnClock(wall=lambda: fake.wall)
    clock.attach(fake.sample)
    fake.run(3, share=1.0)
    other = FakeTime()  # the next child's counters start at zero
    other.wall = fake.wall
    clock.attach(other.sample)
    other.run(2, share=1.0)
    assert clock.read() == pytest.approx(5)


def test_wait_is_never_past_either_end():
    fake = FakeTime()
    limit = started(fake, 0.1)
    assert 0 < limit.wait() <= 0.1


# -- end to end: the sandbox reads a child that waited for a CPU all along ----------------------

def starved(tasks, pid):
    """A reading in which the child never got a CPU: none of the wall time is its own."""
    import time

    return lambda: Sample(time.monotonic(), 0.0, time.monotonic())


def tiny_limits(tmp_path, check_seconds):
    text = (ROOT / "rubric.yaml").read_text()
    text = text.replace("check_seconds: 20", f"check_seconds: {check_seconds}")
    text = text.replace("check_seconds: 40", f"check_seconds: {check_seconds}")
    text = text.replace("import_seconds: 10", f"import_seconds: {check_seconds}")
    return parse_rubric(tmp_path / "rubric.yaml", text)


LONG_BANK = textwrap.dedent("""
    import threading

    balance = 0
    lock = threading.Lock()

    def customer():
        global balance
        for _ in range(20000):
            with lock:
                balance += 1

    threads = [threading.Thread(target=customer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("balance", balance)
""")


def test_a_finite_program_on_a_starved_machine_is_judged_as_on_an_idle_one(rubric, tmp_path, monkeypatch):
    path = tmp_path / "bank.py"
    path.write_text(LONG_BANK)
    idle = grade(rubric, "bank", path)
    assert idle.score == idle.max_score, [(c.id, c.message) for c in idle.checks if c.status != "passed"]
    # Every limit 0.2 s, far below what the program's probes take in wall time, and the child
    # reads as never having had a CPU: no limit is used up, and the backstop is far away.
    monkeypatch.setattr(sandbox_session, "_sampler", starved)
    monkeypatch.setattr(owntime, "BACKSTOP", 10_000.0)
    busy = grade(tiny_limits(tmp_path, 0.2), "bank", path)
    assert [(c.id, c.status, c.score) for c in busy.checks] == \
        [(c.id, c.status, c.score) for c in idle.checks]
    assert not busy.needs_review


HANGING_DOWNLOADER = textwrap.dedent("""
    import threading
    import requests

    def download_pages(urls, max_workers=8, timeout=10.0):
        threading.Event().wait()  # waits for nothing, forever, without computing
        return {url: requests.get(url, timeout=timeout).status_code for url in urls}
""")


@pytest.mark.sandbox
def test_a_program_that_blocks_forever_is_still_cut_and_failed(tmp_path):
    path = tmp_path / "downloader.py"
    path.write_text(HANGING_DOWNLOADER)
    report = grade(tiny_limits(tmp_path, 1), "downloader", path)
    hung = [c for c in report.checks if c.cause == Cause.TIMEOUT]
    assert hung and all(c.status == Status.FAILED for c in hung)
    assert not any(c.cause == Cause.GRADER_BUSY for c in report.checks)


@pytest.mark.sandbox
def test_the_backstop_cutting_a_check_is_the_graders_error_not_the_students(tmp_path, monkeypatch):
    path = tmp_path / "downloader.py"
    path.write_text(HANGING_DOWNLOADER)
    monkeypatch.setattr(sandbox_session, "_sampler", starved)
    monkeypatch.setattr(owntime, "SLACK", 1.0)
    monkeypatch.setattr(owntime, "BACKSTOP", 2.0)
    report = grade(tiny_limits(tmp_path, 1), "downloader", path)
    busy = [c for c in report.checks if c.cause == Cause.GRADER_BUSY]
    assert busy and all(c.status == Status.ERROR and "too busy" in c.message for c in busy)
    assert not any(c.cause == Cause.TIMEOUT for c in report.checks)
    assert any("too busy" in reason for reason in report.needs_review)


# -- the scheduler's stall: blocked outside its control, never merely slow ----------------------

def test_a_long_computation_in_c_is_not_a_stall():
    """A thread in one long C call makes no scheduling point; while it computes (or waits for
    a CPU on a busy machine) it is not blocked, however long that takes in wall time."""
    from grader.probes.preempt.scheduler import Scheduler

    import hashlib

    data = b"x" * 300_000_000  # hashing it releases the GIL: the scheduler's wait goes on polling
    result = []
    outcome = Scheduler(1, filename="x.py", stall_seconds=0.0).run(
        [("T", lambda: result.append(hashlib.sha256(data).hexdigest()))])
    assert outcome.status == "ok" and result == [hashlib.sha256(data).hexdigest()]


def test_a_thread_blocked_outside_the_scheduler_is_still_a_stall():
    import os

    from grader.probes.preempt.scheduler import Scheduler

    read_end, write_end = os.pipe()
    try:
        outcome = Scheduler(1, filename="x.py", stall_seconds=0.0).run(
            [("T", lambda: os.read(read_end, 1))])
        assert outcome.status == "stall"
    finally:
        os.write(write_end, b"x")  # lets the abandoned thread end
        os.close(write_end)


def test_waiting_for_threads_that_never_come_does_not_count_the_time_spent_waiting_for_a_cpu():
    """The simulate gate gives up on threads that never arrive after 1.5 s of the process's own
    time: 8 s of a 10 s wait spent ready to run but without a CPU leave 2 s."""
    import time

    from grader.sandbox.owntime import own_since, waited_for_cpu

    waited = waited_for_cpu()
    if waited is None:
        pytest.skip("no /proc/self/task/*/schedstat here")
    assert own_since(time.monotonic() - 10, waited - 8) < 3
    assert own_since(time.monotonic() - 10, None) >= 10


def test_a_cgroups_figures_are_read_as_cpu_and_time_waiting_for_a_cpu(tmp_path):
    from grader.sandbox.owntime import cgroup_sampler

    (tmp_path / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    (tmp_path / "cpu.pressure").write_text("some avg10=50.00 avg60=10.00 avg300=1.00 total=7000000\n"
                                           "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    sample = cgroup_sampler(tmp_path, wall=lambda: 10.0)
    assert sample is not None and sample() == Sample(10.0, 2.5, 7.0)
    (tmp_path / "cpu.pressure").unlink()  # no pressure figures (PSI off): not this sampler
    assert cgroup_sampler(tmp_path) is None
