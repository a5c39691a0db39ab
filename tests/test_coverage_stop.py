"""Schedules chosen for coverage (issue 21): a race probe stops once new schedules stop adding
interleavings of the shared accesses, never before its floor, and its judge accepts fewer
schedules than the maximum only where the records show the rule was met.

The probes run in process on banks written here (no child), each under a fixed seed."""
from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from typing import Any

import pytest

import grader.checks.bank.races  # noqa: F401  (registers the checks)
import grader.checks.bank.transfer  # noqa: F401
from grader.probes.preempt.coverage import FLOORS, PATIENCE, Coverage, Rule
from grader.probes.probing import ProbeContext
from grader.probes.registry import CHECKS, PROBES, JudgeContext, Verdict, make_plan

ENTRY = {"account_class": "BankAccount", "transfer": "transfer"}

LOCKED = """
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True
"""

UNLOCKED = """
class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        if self.balance < amount:
            return False
        self.balance -= amount
        return True
"""

CHECK_THEN_ACT = LOCKED.replace("""        with self.lock:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True""", """        with self.lock:
            enough = self.balance >= amount
        if not enough:
            return False
        with self.lock:
            self.balance -= amount
        return True""")

TRANSFER_IN_TWO_STEPS = LOCKED + """

def transfer(src, dst, amount):
    if src.withdraw(amount):
        dst.deposit(amount)
        return True
    return False
"""


def _run(tmp_path: Path, source: str, probe: str, seed: int,
         params: dict[str, Any] | None = None) -> tuple[dict[str, Any], Verdict]:
    """The probe in process on `source`, then its judge on what it sent."""
    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(f"bank_{abs(hash((source, seed)))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = dict(params or {})
    plan = make_plan(probe, seed, params)
    obs = PROBES[probe].run(ProbeContext(module, path, path.read_text(), ENTRY,
                                         {**params, "plan": plan}, seed, {}))
    return obs, CHECKS[probe].judge(obs, JudgeContext(params, "bank.py", seed, plan))


def test_a_correct_locked_bank_stops_before_the_maximum(tmp_path):
    obs, verdict = _run(tmp_path, LOCKED, "bank.no_lost_update", seed=11)
    runs = obs["runs"]
    assert FLOORS["bank.no_lost_update"] <= len(runs) < 40
    assert all(run["new_pairs"] == 0 for run in runs[-PATIENCE:])
    assert sum(run["new_pairs"] for run in runs) > 0  # the lock's holders and the balance interleave
    assert verdict.status == "passed"
    assert f"{len(runs)} of up to 40 schedules" in verdict.message
    assert f"the last {PATIENCE} added no new interleaving" in verdict.message


def test_coverage_false_in_the_rubric_runs_every_schedule(tmp_path):
    obs, verdict = _run(tmp_path, LOCKED, "bank.no_lost_update", seed=11, params={"coverage": False})
    assert len(obs["runs"]) == 40
    assert verdict.status == "passed" and "(40 schedules)" in verdict.message


def test_an_unlocked_bank_still_fails(tmp_path):
    obs, verdict = _run(tmp_path, UNLOCKED, "bank.no_lost_update", seed=11)
    assert verdict.status == "failed" and "lost money" in verdict.message
    assert len(obs["runs"]) == 1  # the first schedule shows it


def test_a_check_then_act_in_two_lock_holdings_still_fails(tmp_path):
    obs, verdict = _run(tmp_path, CHECK_THEN_ACT, "bank.no_overdraft", seed=11)
    assert verdict.status == "failed"
    assert "two separate holdings" in verdict.message or "overdr" in verdict.message


def test_a_bug_that_needs_a_specific_interleaving_still_fails(tmp_path):
    """A transfer made of two locked steps: an auditor sees the money in neither account only
    when it runs between the two. On the coin alone (`gap_chance: 0`) that is about one schedule
    in ten: under seed 35 the 31st, long after the pairs stopped growing, which the old floor of
    66 reached. Directed (grader/probes/preempt/gaps.py: the mover waits in its gap while the
    auditors look), the 3rd, well before the floor of 14."""
    obs, verdict = _run(tmp_path, TRANSFER_IN_TWO_STEPS, "bank.transfer_atomic", seed=35,
                        params={"schedules": 80, "gap_chance": 0, "coverage_floor": 66})
    runs = obs["runs"]
    assert verdict.status == "failed" and "not atomic" in verdict.message
    assert len(runs) == 31
    assert all(run["new_pairs"] == 0 for run in runs[10:])  # coverage alone would have stopped
    obs, verdict = _run(tmp_path, TRANSFER_IN_TWO_STEPS, "bank.transfer_atomic", seed=35,
                        params={"schedules": 80})
    assert verdict.status == "failed" and "not atomic" in verdict.message
    assert len(obs["runs"]) == 3 < FLOORS["bank.transfer_atomic"] == 14


def test_the_same_seed_explores_the_same_schedules(tmp_path):
    first, _ = _run(tmp_path, LOCKED, "bank.conservation", seed=5)
    again, _ = _run(tmp_path, LOCKED, "bank.conservation", seed=5)
    assert [run["new_pairs"] for run in first["runs"]] == [run["new_pairs"] for run in again["runs"]]
    assert [run["seed"] for run in first["runs"]] == [run["seed"] for run in again["runs"]]


def _records(news: list[int], seed: int = 7) -> dict[str, Any]:
    """What a child would send for schedules with these new pairs and nothing wrong."""
    plan = make_plan("bank.no_lost_update", seed, {})
    final = plan["initial"] + sum(a * plan["ops"] for a in plan["amounts"])
    return {"runs": [{"seed": seed + i, "status": "ok", "final": final, "new_pairs": n,
                      "oracle": {"races": []}} for i, n in enumerate(news)]}


def _judge(obs: dict[str, Any], params: dict[str, Any] | None = None, seed: int = 7) -> Verdict:
    return CHECKS["bank.no_lost_update"].judge(
        obs, JudgeContext(params or {}, "bank.py", seed, make_plan("bank.no_lost_update", seed, {})))


@pytest.mark.parametrize("news, why", [
    ([3, 1] + [0] * 10, "below the floor"),
    ([3] + [0] * 8 + [1] + [0] * 4, "a new pair among the last schedules"),
    ([3] + [0] * 20, "past where the rule stops"),
])
def test_a_child_that_stops_where_the_rule_does_not_is_judged_forged(news, why):
    verdict = _judge(_records(news))
    assert verdict.status == "failed" and verdict.data.get("forged"), why


def test_records_without_their_new_pairs_stopping_early_are_forged():
    obs = _records([3] + [0] * 13)
    for run in obs["runs"]:
        del run["new_pairs"]
    verdict = _judge(obs)
    assert verdict.status == "failed" and verdict.data.get("forged")
    assert "stopped before the planned schedules" in verdict.message


def test_records_that_meet_the_rule_pass_and_say_what_was_explored():
    floor = FLOORS["bank.no_lost_update"]
    verdict = _judge(_records([3, 2] + [0] * (floor - 2)))
    assert verdict.status == "passed"
    assert f"({floor} of up to 40 schedules" in verdict.message and "5 covered" in verdict.message
    late = [3] + [0] * (floor - 3) + [1] + [0] * PATIENCE  # a late new pair: explored on
    assert _judge(_records(late)).status == "passed"
    assert _judge(_records([0] * 40), params={"coverage": False}).status == "passed"
    assert _judge(_records([0] * floor), params={"coverage": False}).data.get("forged")


def test_pairs_are_consecutive_accesses_by_two_threads_one_a_write():
    cov, balance = Coverage(), (1, "balance")  # a location as the oracle numbers it
    cov.access(0, balance, "/tmp/run/bank.py", 10, True)
    cov.access(1, balance, "/tmp/run/bank.py", 12, False)  # another thread reads the write
    cov.access(1, balance, "/tmp/run/bank.py", 11, False)  # the same thread again: no pair
    cov.access(2, balance, "/tmp/run/bank.py", 12, False)  # two reads: no pair
    cov.access(2, balance, "/tmp/run/bank.py", 13, True)  # the same thread: no pair
    cov.access(0, balance, "/tmp/run/bank.py", 13, True)
    assert cov.pairs == {(("bank.py", 10, "w"), ("bank.py", 12, "r")),
                         (("bank.py", 13, "w"), ("bank.py", 13, "w"))}


def test_lock_acquisitions_by_two_threads_are_pairs_named_by_line_or_lock():
    cov, lock = Coverage(), object()
    cov.acquired(0, lock, "/tmp/run/bank.py", 14, "account.lock")
    cov.acquired(1, lock, "/tmp/run/bank.py", 20, "account.lock")
    cov.acquired(0, lock, "/tmp/run/bank.py", None, "account.lock")
    assert cov.pairs == {(("bank.py", 14, "w"), ("bank.py", 20, "w")),
                         (("bank.py", 20, "w"), ("", "account.lock", "w"))}


def test_the_rule_stops_at_the_floor_then_after_its_patience_never_past_the_maximum():
    rule = Rule(40, floor=8, patience=3)
    assert not rule.done([5] + [0] * 6)
    assert rule.done([5] + [0] * 7)
    assert not rule.done([5] + [0] * 6 + [1])
    assert rule.expected([5] + [0] * 6 + [1, 0, 0, 0, 0]) == 11
    assert Rule(5, floor=8).done([1] * 5)
    assert Rule.of({"schedules": 12, "coverage": False}, 40, "bank.no_lost_update").expected([0] * 12) == 12
