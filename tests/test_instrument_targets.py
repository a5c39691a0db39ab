"""Tuple, nested, starred, chained and annotated assignment targets under the rewrite: each element that is
shared state is written through the hook of a plain assignment to it, and the program does what
it does without the grader (the value once and whole, then the targets left to right)."""
from __future__ import annotations

import textwrap
import types

import pytest

from grader.probes.preempt import quiet
from grader.probes.preempt.instrument import SETATTR, SETITEM, WRITE, instrument

# Objects that note every store, and the target expressions that note when they are evaluated
PRELUDE = """
log = []

class Box:
    def __setattr__(self, name, value):
        log.append(("set", name, value))
        object.__setattr__(self, name, value)

class Book(dict):
    def __setitem__(self, key, value):
        log.append(("item", key, value))
        super().__setitem__(key, value)

def box(tag):
    log.append(("box", tag))
    return b

def key(tag):
    log.append(("key", tag))
    return tag

def value(v):
    log.append(("value", v))
    return v

def noted(items):
    for item in items:
        log.append(("next", item))
        yield item

b, d = Box(), Book()
b.x = b.y = b.z = b.rest = None
total = count = 0

def bump(step):
    global total, count
    total, count = total + step, count + 1
    return total, count
"""

STATEMENTS = [
    "b.x, b.y = 1, 2\nb.x, b.y = b.y, b.x",  # a swap
    "[b.x, b.y] = 'ab'",
    "box(1).x, (box(2).y, d[key(3)]) = value(1), (value(2), value(3))",
    "box(1).x, *box(2).rest, d[key(3)] = noted(range(5))",
    "*box(1).rest, b.x = 7,",
    "box(1).x = d[key(2)] = box(3).y = value(4)",
    "b.x = p, q = value((1, 2))\nd['p'] = p",
    "for step in (5, 7):\n    bump(step)",
    "box(1).x, box(2).y = 1, 2, 3",  # too many: nothing is stored
    "box(1).x, (box(2).y, b.z) = 1, (2,)",  # too few inside: b.x is stored before the error
    "b.x, box(1).y = noted([1])",
    # an annotated target (its object evaluated before the value, as in a plain `x.b = v` under
    # the rewrite)
    "b.x: int = value(2)\nd['k']: int = value(4)\ntotal: int = value(5)",
    "def f():\n    b.x: int = value(2)\nf()",
    "class Kept:\n    b.x: int = value(2)",
]


def run(source: str, instrumented: bool) -> tuple[list, str, dict]:
    module = types.ModuleType("student")
    error = ""
    try:
        if instrumented:
            module.__dict__.update(quiet.HOOKS)
            exec(instrument(source, "student.py"), module.__dict__)
        else:
            exec(compile(source, "student.py", "exec", dont_inherit=True), module.__dict__)
    except Exception as exc:  # the same error, at the same point, either way
        error = f"{type(exc).__name__}: {exc}"
    state = {k: module.__dict__[k] for k in ("total", "count") if k in module.__dict__}
    state["box"] = dict(vars(module.b)) if hasattr(module, "b") else None
    state["book"] = dict(module.d) if hasattr(module, "d") else None
    return module.__dict__.get("log"), error, state


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_rewritten_assignment_does_what_the_original_does(statement):
    source = PRELUDE + statement + "\n"
    assert run(source, True) == run(source, False)


def test_no_name_of_the_rewrite_is_left_in_a_module_or_class():
    source = PRELUDE + "b.x, b.y = 1, 2\nclass Kept:\n    b.x, (b.y, d['k']) = 3, (4, 5)\n"
    module = types.ModuleType("student")
    module.__dict__.update(quiet.HOOKS)
    exec(instrument(source, "student.py"), module.__dict__)
    leftovers = [n for n in [*vars(module), *vars(module.Kept)] if n.startswith("__grader_t")]
    assert leftovers == [] and (module.b.x, module.b.y, module.d["k"]) == (3, 4, 5)


def recorded_writes(source: str) -> list[tuple[str, int]]:
    """(label, line) of every write hook the module calls, in order."""
    writes: list[tuple[str, int]] = []

    def setattr_(obj, name, value, label, line):
        writes.append((label, line))
        setattr(obj, name, value)

    def setitem(obj, key, value, label, line):
        writes.append((label, line))
        obj[key] = value

    def write(value, label, line):
        writes.append((label, line))
        return value

    module = types.ModuleType("student")
    module.__dict__.update({**quiet.HOOKS, SETATTR: setattr_, SETITEM: setitem, WRITE: write})
    exec(instrument(textwrap.dedent(source), "student.py"), module.__dict__)
    writes.clear()
    module.run()
    return writes


def test_each_shared_element_of_a_tuple_target_is_a_write_with_its_own_label_and_line():
    writes = recorded_writes("""
        class Account:
            def __init__(self):
                self.balance = 0
        balance = 0
        a, b = Account(), Account()
        def run():
            global balance
            mine = 0
            a.balance, b.balance = b.balance, a.balance
            (a.balance,
             mine, [balance, *a.log]) = 1, 2, (3, 4)
        """)
    assert writes == [("a.balance", 10), ("b.balance", 10),
                      ("a.balance", 11), ("balance", 12), ("a.log", 12)]


def test_each_target_of_a_chained_assignment_is_a_write_left_to_right():
    writes = recorded_writes("""
        class Account:
            def __init__(self):
                self.balance = self.last = 0
        book, acc = {}, Account()
        def run():
            acc.balance = book["last"] = acc.last = acc.balance + 5
        """)
    assert writes == [("acc.balance", 7), ("book['last']", 7), ("acc.last", 7)]


def test_a_tuple_of_local_names_writes_nothing_shared():
    writes = recorded_writes("""
        def run():
            x, (y, *z) = 1, (2, 3)
            return x
        """)
    assert writes == []


def test_an_annotated_assignment_of_shared_state_is_a_write():
    writes = recorded_writes("""
        class Account:
            balance: int
        acc, book = Account(), {}
        def run():
            acc.balance: int = 5
            book["last"]: int = acc.balance
        """)
    assert writes == [("acc.balance", 6), ("book['last']", 7)]
