"""The parts the scheduler composes, each on its own (no schedule, no child), and the shape of
grader/probes/preempt/: its modules import each other at the top level, in one direction."""
from __future__ import annotations

import ast
import graphlib
import textwrap
from pathlib import Path

import pytest

from grader.probes.preempt import instrument
from grader.probes.preempt.active import identity
from grader.probes.preempt.choice import Chooser
from grader.probes.preempt.lockgraph import LockGraph
from grader.probes.preempt.sites import SharedSites
from grader.probes.preempt.tasks import BLOCKED, Task, TaskTable
from grader.probes.preempt.wakeups import Wakeups

PREEMPT = Path(__file__).resolve().parent.parent / "grader" / "probes" / "preempt"


def _task(name: str, index: int, **fields: object) -> Task:
    task = Task(name, index)
    for key, value in fields.items():
        setattr(task, key, value)
    return task


def test_an_ordered_chooser_hands_the_turn_to_the_next_thread_in_line():
    a, b, c = _task("A", 0), _task("B", 1), _task("C", 2)
    choice = Chooser(seed=1, in_line=True, behind=None)
    assert choice.next_of([a, b, c]) is a
    assert choice.other(b, [a, b, c]) is c  # after B comes C
    assert choice.other(c, [a, b, c]) is a  # then it wraps around
    assert choice.other(a, [a]) is None


def test_the_same_seed_draws_the_same_choices():
    tasks = [_task(f"T{i}", i) for i in range(5)]
    first, second = Chooser(7, False, None), Chooser(7, False, None)
    picks = [first.next_of(tasks).name for _ in range(20)]
    assert picks == [second.next_of(tasks).name for _ in range(20)]
    assert len(set(picks)) > 1  # seeded, not the first in line


def test_a_thread_held_back_from_its_line_runs_only_when_nobody_else_can():
    waiter, notifier = _task("Waiter", 0), _task("Notifier", 1)
    choice = Chooser(seed=1, in_line=True, behind={"Waiter": 12})
    choice.hold(waiter, 11)
    assert choice.next_of([waiter, notifier]) is waiter  # not yet at its line
    choice.hold(waiter, 12)
    assert choice.next_of([waiter, notifier]) is notifier
    assert choice.next_of([waiter]) is waiter


def test_locks_taken_in_both_orders_by_two_threads_are_an_inversion():
    graph = LockGraph()
    first, second = object(), object()
    graph.name(first, "a.lock")
    graph.name(second, "b.lock")
    graph.order(_task("T1", 0, held=[first]), second, 10)
    assert graph.inversion is None
    graph.order(_task("T2", 1, held=[second]), first, 20)
    assert graph.inversion is not None
    assert (graph.inversion["a"]["first"], graph.inversion["b"]["first"]) == ("a.lock", "b.lock")


def test_an_inversion_under_a_common_guard_lock_is_no_inversion():
    graph = LockGraph()
    guard, first, second = object(), object(), object()
    graph.order(_task("T1", 0, held=[guard, first]), second, 10)
    graph.order(_task("T2", 1, held=[guard, second]), first, 20)
    assert graph.inversion is None


def test_threads_waiting_for_each_others_locks_are_a_cycle():
    class Owned:
        def __init__(self, owner: int) -> None:
            self._owner = owner

    one = _task("T1", 0, ident=101, state=BLOCKED)
    two = _task("T2", 1, ident=102, state=BLOCKED)
    one.waiting_on, two.waiting_on = Owned(102), Owned(101)
    assert LockGraph.cycle([one, two])
    two.waiting_on = Owned(999)  # held by a thread outside the schedule
    assert not LockGraph.cycle([one, two])


def test_only_writes_to_state_two_started_threads_touch_are_shared():
    sites = SharedSites()
    lock = object()
    one, two = _task("T1", 0, started=True), _task("T2", 1, started=True, held=[lock])
    main = _task("MainThread", 2)
    own, shared = object(), object()
    sites.note(one, own, "x", True)  # a thread's own object
    sites.note(one, shared, "balance", True)  # unlocked
    sites.note(two, shared, "balance", True)  # locked
    sites.note(main, own, "x", True)  # the main thread shares nothing
    assert sites.writes() == {"locked": 1, "unlocked": 1}


def test_a_timed_out_wait_leaves_the_waiters_of_its_object():
    table = TaskTable()
    on = object()
    task = _task("T1", 0, state=BLOCKED, waiting_on=on)
    table.add(task)
    table.wait(task, on)
    assert table.waiters == {identity(on): [task]}
    table.unwait(task)
    assert table.waiters == {} and task.waiting_on is None


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """The preempt modules `path` imports at its top level, and the grader modules it imports
    anywhere else (inside a function), type-only imports left out."""
    tree = ast.parse(path.read_text())
    top: set[str] = set()
    lazy: list[str] = []

    def walk(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", "") == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("grader"):
                if nested:
                    lazy.append(f"{path.name}:{child.lineno} {child.module}")
                elif child.module == "grader.probes.preempt":
                    top.update(alias.name for alias in child.names)
                elif child.module.startswith("grader.probes.preempt."):
                    top.add(child.module.split(".")[3])
            walk(child, nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                     ast.ClassDef)))

    walk(tree, False)
    return top, lazy


def test_the_preempt_modules_import_each_other_at_the_top_level_without_a_cycle():
    graph, lazy = {}, []
    for path in sorted(PREEMPT.glob("*.py")):
        graph[path.stem], found = _imports(path)
        lazy += found
    assert lazy == []
    order = list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order.index("tasks") < order.index("scheduler") < order.index("engine")


def test_only_a_wait_whose_innermost_loop_rechecks_a_condition_is_in_a_loop():
    source = textwrap.dedent("""\
        with cond:
            if not ready:
                cond.wait()
        with cond:
            while not ready:
                cond.wait()
        while True:
            with cond:
                cond.wait()
        """)
    wakeups = Wakeups(source.splitlines())
    assert [line for line in range(1, 10) if wakeups.in_loop(line)] == [5, 6]
    assert not wakeups.in_loop(None)


# -- private names: renamed as the compiler renames them --------------------------------------
@pytest.mark.parametrize("name, owner, expected", [
    ("__saldo", "Cuenta", "_Cuenta__saldo"),
    ("__saldo", "_Cuenta", "_Cuenta__saldo"),  # the class's leading underscores are dropped
    ("__init__", "Cuenta", "__init__"),  # a dunder is no private name
    ("_saldo", "Cuenta", "_saldo"),
    ("__saldo", "___", "__saldo"),  # a class named only of underscores renames nothing
])
def test_a_private_name_is_renamed_as_python_renames_it(name, owner, expected):
    assert instrument.mangled(name, owner) == expected


def test_private_attributes_are_renamed_in_methods_nested_functions_and_nested_classes():
    tree = ast.parse(
        "@deco(x.__outside)\n"
        "class A(Base.__base):\n"
        "    def f(self):\n"
        "        g = lambda: self.__a\n"
        "        class B:\n"
        "            y = o.__b\n"
        "        return self.__a\n")
    instrument.mangle_private_names(tree)
    attrs = sorted(n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute))
    assert attrs == ["_A__a", "_A__a", "_B__b", "__base", "__outside"]


def test_the_students_annotations_are_evaluated_as_natively_not_as_strings():
    """The grader's modules import `from __future__ import annotations`; compiling the
    student's tree must not hand that to the student's code."""
    namespace: dict = {}
    exec(instrument.syntax.compile_tree(ast.parse("x: int = 1\n"), "<student>"), namespace)
    assert namespace["__annotations__"] == {"x": int}
