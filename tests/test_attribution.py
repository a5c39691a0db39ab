"""Feedback points at the student's own lines: files are compared by real path, never by name."""
import importlib.util
import textwrap

import pytest

from grader.grading import grade
from grader.probes.probing import student_line
from grader.rubric import parse_rubric


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_frame_of_another_file_with_the_same_name_is_not_the_students(tmp_path):
    (tmp_path / "grader_side").mkdir()
    (tmp_path / "student").mkdir()
    other = tmp_path / "grader_side" / "bank.py"  # like the grader's own checks/bank.py
    other.write_text("def probe(fn):\n    fn()\n")
    mine = tmp_path / "student" / "bank.py"
    mine.write_text("\n\ndef deposit():\n    raise ValueError('no')\n")
    try:
        load(other, "grader_side_bank").probe(load(mine, "student_bank").deposit)
    except ValueError as exc:
        assert student_line(exc, str(mine)) == "bank.py:4"
        assert student_line(exc, str(tmp_path / "elsewhere" / "bank.py")) is None


@pytest.mark.sandbox
def test_a_missing_entry_point_is_the_students_finding_not_an_internal_error(tmp_path):
    rubric = parse_rubric(tmp_path / "rubric.yaml", textwrap.dedent("""
        version: 3
        tasks:
          bank:
            file: bank.py
            entry_points: {account_class: BankAccount, simulate: simulate}
            checks:
              - {id: simulate_total, points: 1, description: simulate returns the total}
    """))
    path = tmp_path / "bank.py"
    path.write_text("class BankAccount:\n    def __init__(self, balance=0):\n        self.balance = balance\n")
    report = grade(rubric, "bank", path)
    check = report.checks[0]
    assert check.status == "failed"
    assert "internal grader error" not in check.message
    assert "simulate" in check.message
