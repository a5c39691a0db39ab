"""The race oracle on hand-made traces: happens-before, atomicity windows, racy reads."""
from __future__ import annotations

from grader.probes.preempt.oracle import Access, RaceOracle, Violation

MAIN, T1, T2 = 0, 1, 2


class Box:
    balance = 0


def acc(thread: int, kind: str, line: int, locks: tuple[str, ...] = ()) -> Access:
    return Access(f"T{thread}", kind, "bank.py", line, "acct.balance", locks)


def started(*threads: int) -> tuple[RaceOracle, object]:
    oracle, box = RaceOracle(), Box()
    for t in threads:
        oracle.fork(MAIN, t)
    return oracle, oracle.location(box, "balance")


def test_unlocked_read_modify_write_is_reported_even_when_nothing_interleaved():
    oracle, loc = started(T1, T2)
    oracle.read(T1, loc, acc(T1, "read", 10))
    oracle.write(T1, loc, acc(T1, "write", 10))
    oracle.read(T2, loc, acc(T2, "read", 10))
    oracle.write(T2, loc, acc(T2, "write", 10))
    assert len(oracle.violations) == 1
    found = oracle.violations[0]
    assert {found.write.thread, found.other.thread} == {"T1", "T2"}


def test_read_modify_write_under_one_lock_is_ordered():
    oracle, loc = started(T1, T2)
    lock = object()
    for t in (T1, T2, T1):
        oracle.acquire(t, lock)
        oracle.read(t, loc, acc(t, "read", 10, ("lock",)))
        oracle.write(t, loc, acc(t, "write", 10, ("lock",)))
        oracle.release(t, lock)
    assert oracle.violations == []
    assert oracle.racy_reads == []


def test_check_and_update_in_two_holdings_of_the_lock_is_a_violation():
    oracle, loc = started(T1, T2)
    lock = object()
    oracle.acquire(T1, lock)
    oracle.read(T1, loc, acc(T1, "check", 5, ("lock",)))
    oracle.release(T1, lock)
    oracle.acquire(T2, lock)
    oracle.read(T2, loc, acc(T2, "read", 8, ("lock",)))
    oracle.write(T2, loc, acc(T2, "write", 8, ("lock",)))
    oracle.release(T2, lock)
    oracle.acquire(T1, lock)
    oracle.read(T1, loc, acc(T1, "read", 8, ("lock",)))
    oracle.write(T1, loc, acc(T1, "write", 8, ("lock",)))
    oracle.release(T1, lock)
    assert [(v.start.line, v.other.thread, v.write.thread) for v in oracle.violations] == [(5, "T2", "T1")]


def test_a_condition_wait_ends_the_window():
    oracle, loc = started(T1, T2)
    lock = object()
    oracle.acquire(T1, lock)
    oracle.read(T1, loc, acc(T1, "check", 5, ("lock",)))
    oracle.boundary(T1)
    oracle.release(T1, lock)
    oracle.acquire(T2, lock)
    oracle.read(T2, loc, acc(T2, "read", 8, ("lock",)))
    oracle.write(T2, loc, acc(T2, "write", 8, ("lock",)))
    oracle.release(T2, lock)
    oracle.acquire(T1, lock)
    oracle.read(T1, loc, acc(T1, "check", 5, ("lock",)))
    oracle.write(T1, loc, acc(T1, "write", 6, ("lock",)))
    assert oracle.violations == []


def test_a_lock_released_by_another_thread_orders_like_a_semaphore():
    oracle, loc = started(T1)
    signal = object()
    oracle.acquire(MAIN, signal)
    oracle.read(T1, loc, acc(T1, "read", 3))
    oracle.write(T1, loc, acc(T1, "write", 3))
    oracle.release(T1, signal)
    oracle.acquire(MAIN, signal)
    oracle.read(MAIN, loc, acc(MAIN, "read", 9))
    oracle.write(MAIN, loc, acc(MAIN, "write", 9))
    assert oracle.violations == [] and oracle.racy_reads == []


def test_read_after_join_is_ordered_and_read_before_join_is_racy():
    oracle, loc = started(T1)
    oracle.read(T1, loc, acc(T1, "read", 3))
    oracle.write(T1, loc, acc(T1, "write", 3))
    oracle.read(MAIN, loc, acc(MAIN, "read", 20))
    assert [r.read.line for r in oracle.racy_reads] == [20]
    oracle.join(MAIN, T1)
    oracle.read(MAIN, loc, acc(MAIN, "read", 21))
    assert [r.read.line for r in oracle.racy_reads] == [20]


def test_a_read_before_the_writer_ran_is_racy_when_the_write_comes_later():
    oracle, loc = started(T1)
    oracle.read(MAIN, loc, acc(MAIN, "read", 20))
    oracle.write(T1, loc, acc(T1, "write", 3))
    assert [(r.read.line, r.write.line) for r in oracle.racy_reads] == [(20, 3)]


def test_objects_built_before_the_threads_start_are_ordered_by_the_fork():
    oracle, box = RaceOracle(), Box()
    loc = oracle.location(box, "balance")
    oracle.write(MAIN, loc, acc(MAIN, "write", 1))
    oracle.fork(MAIN, T1)
    oracle.read(T1, loc, acc(T1, "read", 3))
    oracle.write(T1, loc, acc(T1, "write", 3))
    assert oracle.violations == [] and oracle.racy_reads == []


def test_windows_in_different_regions_do_not_join():
    oracle, loc = started(T1, T2)
    first, second = object(), object()
    oracle.read(T1, loc, acc(T1, "check", 5), region=(first,))
    oracle.write(T2, loc, acc(T2, "write", 8))
    oracle.write(T1, loc, acc(T1, "write", 9), region=(second,))
    assert oracle.violations == []


def test_locations_of_a_collected_object_are_not_confused_with_a_new_one():
    oracle = RaceOracle()
    first = oracle.location(Box(), "balance")
    second = oracle.location(Box(), "balance")
    assert first != second


def test_findings_survive_a_round_trip_as_plain_data():
    oracle, loc = started(T1, T2)
    for t in (T1, T2):
        oracle.read(t, loc, acc(t, "read", 10))
        oracle.write(t, loc, acc(t, "write", 10))
    found = oracle.violations[0]
    assert Violation.from_plain(found.as_plain()) == found
    assert "holding no lock" in "\n".join(found.lines())


def test_past_its_location_cap_the_oracle_stops_tracking_new_locations():
    oracle = RaceOracle(max_locations=2)
    boxes = [Box() for _ in range(3)]
    for box in boxes:
        oracle.write(MAIN, oracle.location(box, "balance"), acc(MAIN, "write", 1))
    assert len(oracle.locs) == 2 and oracle.untracked == 1


def test_a_read_before_starting_threads_and_a_write_after_joining_them_is_no_window():
    oracle, box = RaceOracle(), Box()
    loc = oracle.location(box, "balance")
    oracle.read(MAIN, loc, acc(MAIN, "read", 1))
    oracle.fork(MAIN, T1)
    oracle.read(T1, loc, acc(T1, "read", 3))
    oracle.write(T1, loc, acc(T1, "write", 3))
    oracle.join(MAIN, T1)
    oracle.write(MAIN, loc, acc(MAIN, "write", 9))
    assert oracle.violations == [] and oracle.racy_reads == []
