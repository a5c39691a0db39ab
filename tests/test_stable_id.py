"""The same submission explores the same schedules every run (issue 21), also when it orders its
locks by `id()`: the student's `id()` numbers objects by first asking (stableid.py), so which of
two accounts comes first no longer depends on where the allocator put them.

The probe runs in process, several times in one process with the heap disturbed in between
(as a grading's earlier probes and the process's history do)."""
from __future__ import annotations

import gc
import importlib.util
import types
from pathlib import Path
from typing import Any

import grader.checks.bank.transfer  # noqa: F401  (registers the checks)
from grader.probes.preempt.access import hooks, student_globals
from grader.probes.preempt.engine import tampering
from grader.probes.preempt.stableid import stable_id
from grader.probes.probing import ProbeContext
from grader.probes.registry import PROBES, make_plan

CORPUS = Path(__file__).resolve().parent / "corpus" / "bank"
ENTRY = {"account_class": "BankAccount", "transfer": "transfer"}
PROBE = "bank.transfer_atomic"


def _explored(path: Path, seed: int, index: int) -> list[Any]:
    """Each schedule's count of new pairs, for one run of the probe on a fresh import."""
    spec = importlib.util.spec_from_file_location(f"stable_id_bank_{index}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = {"plan": make_plan(PROBE, seed, {})}
    obs = PROBES[PROBE].run(ProbeContext(module, path, path.read_text(), ENTRY, params, seed, {}))
    return [run["new_pairs"] for run in obs["runs"]]


def test_a_transfer_ordering_its_locks_by_id_explores_the_same_schedules_every_run():
    path = CORPUS / "correct_rlock_transfer.py"  # `(src, dst) if id(src) <= id(dst) else ...`
    explored, ballast = [], []
    for index in range(4):
        explored.append(_explored(path, seed=0, index=index))
        ballast.append([types.SimpleNamespace(n=n) for n in range(37 * (index + 1))])  # move the heap on
        del ballast[0][::3]
        gc.collect()
    assert all(news == explored[0] for news in explored), explored
    assert len(explored[0]) < 80  # and the coverage rule stopped it, the count in every message


class _Account:
    pass


def test_an_id_is_its_objects_number_by_first_asking_and_constant():
    a, b = _Account(), _Account()
    first, second = stable_id(b), stable_id(a)
    assert first < second  # asked first, numbered first: wherever the two lie in memory
    assert stable_id(b) == first and stable_id(a) == second
    assert first % 2 == 1 and second % 2 == 1  # never an address (always even)


def test_an_id_is_never_given_again_after_its_object_died():
    dead = _Account()
    number = stable_id(dead)
    del dead
    gc.collect()
    assert all(stable_id(_Account()) != number for _ in range(100))


def test_objects_without_weak_references_keep_their_number():
    big = 10 ** 30
    assert stable_id(big) == stable_id(big)
    assert stable_id((1, 2)) != stable_id((3, 4))


def test_the_students_namespaces_get_the_numbered_id_and_may_replace_it():
    namespace = student_globals()
    assert namespace["id"] is stable_id
    namespace["id"] = 7  # a module of the student's own that names something `id`: not tampering
    assert "id" not in hooks()
    assert tampering(namespace) is None
