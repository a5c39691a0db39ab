"""The atomic transfer's directed schedules (issue 21): the mover is kept waiting in the gap of a
transfer made of separate lock holdings, so every non-atomic shape fails at once, and no correct
transfer ever does (a hold only chooses who runs next).

The probes run in process on the banks of tests/programs/bank_transfer (written for these tests)
and of tests/corpus/bank, under each file's default seed and a few others."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest

import grader.checks.bank.transfer  # noqa: F401  (registers the checks)
from grader.probes.preempt.choice import HOLD_CHOICES, Chooser
from grader.probes.preempt.coverage import FLOORS
from grader.probes.preempt.tasks import Task
from grader.probes.probing import ProbeContext
from grader.probes.registry import CHECKS, PROBES, JudgeContext, Verdict, make_plan

HERE = Path(__file__).resolve().parent
SHAPES = HERE / "programs" / "bank_transfer"
CORPUS = HERE / "corpus" / "bank"
ENTRY = {"account_class": "BankAccount", "transfer": "transfer"}
PROBE = "bank.transfer_atomic"

NOT_ATOMIC = sorted(p.name for p in SHAPES.glob("*.py") if not p.name.startswith("correct_"))
CORRECT = [SHAPES / "correct_global_lock.py", SHAPES / "correct_precheck_then_both_locks.py",
           SHAPES / "correct_spin_trylock.py",
           CORPUS / "correct_ordered_transfer_id.py", CORPUS / "correct_rlock_transfer.py",
           CORPUS / "correct_transfer_trylock.py", CORPUS / "correct_class_shared_lock.py",
           HERE.parent / "reference" / "bank.py"]


def _default_seed(path: Path) -> int:
    """The seed `grade()` gives the file (grader.grading.default_seed)."""
    return int(hashlib.sha256(path.read_bytes()).hexdigest()[:8], 16) % 1_000_000


def _run(path: Path, seed: int, params: dict[str, Any] | None = None) -> tuple[dict[str, Any], Verdict]:
    """The probe in process on `path`, then its judge on what it sent."""
    spec = importlib.util.spec_from_file_location(f"transfer_{path.stem}_{seed}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = dict(params or {})
    plan = make_plan(PROBE, seed, params)
    obs = PROBES[PROBE].run(ProbeContext(module, path, path.read_text(), ENTRY,
                                         {**params, "plan": plan}, seed, {}))
    return obs, CHECKS[PROBE].judge(obs, JudgeContext(params, path.name, seed, plan))


@pytest.mark.parametrize("name", NOT_ATOMIC)
def test_every_non_atomic_transfer_shape_fails(name):
    path = SHAPES / name
    for seed in (_default_seed(path), 1, 2, 3):
        obs, verdict = _run(path, seed)
        assert verdict.status == "failed", (name, seed, verdict.message)
        assert "transfer is not atomic" in verdict.message
        assert len(obs["runs"]) <= 8, (name, seed)  # found well before the floor


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_every_correct_transfer_passes(path):
    for seed in (_default_seed(path), 1, 2, 3):
        obs, verdict = _run(path, seed)
        assert verdict.status == "passed", (path.name, seed, verdict.message)
        assert len(obs["runs"]) >= FLOORS[PROBE]


def test_the_story_shows_where_the_mover_was_kept_waiting_in_the_students_lines():
    path = CORPUS / "buggy_transfer_nonatomic.py"
    _, verdict = _run(path, 1)
    assert verdict.status == "failed"
    assert "Thread-1 was kept waiting inside transfer(B, A, 100) at transfer (line 32) -> withdraw (line 23)" \
        in verdict.details
    assert "Thread-1 wrote self.balance=0 at buggy_transfer_nonatomic.py:26" in verdict.details
    assert "Thread-1 released B.lock at buggy_transfer_nonatomic.py:23" in verdict.details


def test_a_decimal_balance_shows_its_gap_by_the_replaced_attribute():
    """The log records no Decimal write: the gap is found by the account's `_balance` being
    another object after the release."""
    _, verdict = _run(SHAPES / "decimal_two_holdings.py", 1)
    assert verdict.status == "failed"
    assert "was kept waiting inside transfer(" in verdict.details


def test_without_direction_the_floor_misses_a_two_step_transfer():
    """Why the floor rests on the directed schedules: with `gap_chance: 0` (the coin alone, as
    before) the two locked steps show their gap in about one schedule in 25, and the floor's
    schedules all pass; directed, the first schedule already fails."""
    path = SHAPES / "lock_src_then_lock_dst.py"
    _, plain = _run(path, 35, {"gap_chance": 0})
    assert plain.status == "passed"
    obs, directed = _run(path, 35)
    assert directed.status == "failed" and len(obs["runs"]) <= 2


def test_a_hold_lapses_so_a_thread_that_spins_for_the_held_ones_lock_gets_it():
    """correct_spin_trylock spins (a non-blocking acquire and sleep(0)) for a lock the mover
    still has when it waits in its gap: with every call directed, no schedule starves it."""
    for seed in range(5):
        obs, verdict = _run(SHAPES / "correct_spin_trylock.py", seed, {"gap_chance": 1.0})
        assert verdict.status == "passed", (seed, verdict.message)


def _task(name: str, index: int) -> Task:
    return Task(name, index)


def test_a_strictly_held_thread_is_never_handed_the_turn_by_a_forced_switch():
    chooser = Chooser(7, False, None)
    mover, auditor, other = _task("Thread-1", 0), _task("Thread-2", 1), _task("Thread-3", 2)
    chooser.keep_back("Thread-2")
    chooser.keep_back("Thread-3")
    assert chooser.other(mover, [mover, auditor, other]) is None  # the mover goes on alone
    assert chooser.next_of([auditor, other]) in (auditor, other)  # nobody else can run
    chooser.let_go("Thread-3")
    assert chooser.other(mover, [mover, auditor, other]) is other
    assert chooser.other(auditor, [mover, auditor, other]) in (mover, other)  # a held one hands on
    for _ in range(HOLD_CHOICES):
        chooser.other(mover, [mover, auditor])
    assert "Thread-2" not in chooser.held  # the hold lapsed
    assert chooser.other(mover, [mover, auditor]) is auditor


def test_a_graded_two_holding_transfer_loses_the_bonus_and_says_where_it_waited(rubric):
    """Through the sandbox, with the rubric's 80 schedules: the child's directed schedules and
    the grader's judge agree, and the failure names the student's functions and lines."""
    from grader.grading import grade
    report = grade(rubric, "bank", SHAPES / "lock_src_then_lock_dst.py")
    checks = {c.id: c for c in report.checks}
    atomic = checks["transfer_atomic"]
    assert atomic.status == "failed" and "transfer is not atomic" in atomic.message
    assert "was kept waiting inside transfer(" in atomic.details
    assert "at transfer (line 44)" in atomic.details  # the end of the `with src.lock:` that debits
    assert checks["transfer_no_deadlock"].status == "passed"
