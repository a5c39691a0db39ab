"""The bank program judges (script_threads, script_runs, script_consistent, script_uses_lock) on
recorded observations: no child, no scheduler, only what a judge decides from what was seen.

RUN was recorded once from the `bank.script` probe, run in-process on a program of two threads
that each add 1 three times under one lock and print the balance; each test changes the one
fact its verdict turns on.
"""
from __future__ import annotations

import copy
from typing import Any

from grader.probes.registry import CHECKS, JudgeContext, load_all

load_all()

RUN: dict[str, Any] = {
    "status": "ok", "stopped": None, "virtual_seconds": 0.0, "steps": 35, "output": "balance = 6\n",
    "last_line": "balance = 6", "last_by_main": True, "last_while_threads_ran": False,
    "globals": {"balance": 6}, "errors": [], "threads": 2, "max_alive": 2,
    "writes": {"locked": 6, "unlocked": 0}, "deadlock": [], "answers_read": 0,
    "answers": "'5', '2', '10', '1', '3' over and over, 100 in all", "killed_working": [],
    "wakeups": [], "unfinished": [], "seed": 5,
    "oracle": {"races": [], "unordered_writes": [], "shared": ["balance"], "racy_result": None},
}


def observed(serial: dict[str, Any] | None = None, runs: int = 2, **run_changes: Any) -> dict[str, Any]:
    """The recorded observation: `serial` changed as given, `runs` forced-switch runs like it
    (with `run_changes`)."""
    first = {**copy.deepcopy(RUN), **(serial or {})}
    forced = [{**copy.deepcopy(RUN), "seed": 6 + i, **run_changes} for i in range(runs)]
    return {"serial": first, "runs": forced, "shared": ["balance"], "serial_ends": []}


def judge(check: str, obs: dict[str, Any]):
    return CHECKS[f"bank.{check}"].judge(obs, JudgeContext({}, "bank.py", 5))


def test_the_recorded_locked_program_passes_every_script_check():
    obs = observed()
    for check in ("script_threads", "script_runs", "script_consistent", "script_uses_lock"):
        assert judge(check, obs).status == "passed", check
    assert judge("script_runs", obs).message == "your program ran to completion and printed 'balance = 6'"


def test_one_thread_is_not_several():
    verdict = judge("script_threads", observed({"threads": 1, "max_alive": 1}))
    assert verdict.status == "failed" and "started 1 thread(s)" in verdict.message


def test_threads_joined_right_after_start_never_ran_together():
    verdict = judge("script_threads", observed({"max_alive": 1}))
    assert verdict.status == "failed" and "join right after start?" in verdict.message


def test_a_lock_taken_twice_by_one_thread_is_named_as_not_reentrant():
    stuck = [{"thread": "Thread-1", "waits": "waits for lock at bank.py:9, which it already holds itself"}]
    verdict = judge("script_runs", observed({"status": "deadlock", "deadlock": stuck}))
    assert verdict.status == "failed" and "a Lock is not reentrant" in verdict.message
    assert "Thread-1 waits for lock at bank.py:9" in verdict.details


def test_daemon_threads_cut_short_at_exit_fail_script_runs_with_the_last_line():
    verdict = judge("script_runs", observed({"cut_short": ["Thread-2"]}))
    assert verdict.status == "failed" and "daemon thread(s) Thread-2" in verdict.message
    assert "'balance = 6'" in verdict.details


def test_a_silent_program_fails_script_runs():
    verdict = judge("script_runs", observed({"output": "", "last_line": ""}))
    assert verdict.status == "failed" and "printed nothing" in verdict.message


def test_an_exception_in_the_one_at_a_time_run_fails_script_runs_and_skips_consistency():
    error = {"type": "ZeroDivisionError", "message": "division by zero", "where": "bank.py:10"}
    obs = observed({"errors": [error]})
    assert judge("script_runs", obs).status == "failed"
    assert "ZeroDivisionError" in judge("script_runs", obs).message
    assert judge("script_consistent", obs).status == "skipped"


def test_a_forced_run_that_deadlocks_fails_script_consistent_with_its_seed():
    stuck = [{"thread": "Thread-1", "waits": "waits for lock b, held by Thread-2"},
             {"thread": "Thread-2", "waits": "waits for lock a, held by Thread-1"}]
    verdict = judge("script_consistent", observed(runs=1, status="deadlock", deadlock=stuck))
    assert verdict.status == "failed"
    assert "schedule seed 6" in verdict.message and "the threads deadlocked" in verdict.message
    assert "--seed 6" in verdict.details


def test_no_shared_write_at_all_fails_script_uses_lock():
    quiet = {"writes": {"locked": 0, "unlocked": 0},
             "oracle": {"races": [], "unordered_writes": [], "shared": [], "racy_result": None}}
    verdict = judge("script_uses_lock", observed(quiet, **quiet))
    assert verdict.status == "failed" and "nothing a lock protects" in verdict.message


def test_no_thread_started_skips_consistency_and_lock_use():
    idle = {"threads": 0, "max_alive": 0, "writes": {"locked": 0, "unlocked": 0},
            "oracle": {"races": [], "unordered_writes": [], "shared": [], "racy_result": None}}
    obs = observed(idle, **idle)
    assert judge("script_consistent", obs).status == "skipped"
    assert judge("script_uses_lock", obs).status == "skipped"
