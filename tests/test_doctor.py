"""`grader doctor`: one line per thing grading needs, exit 0 when ready and 1 when not.

The machine's own tools are replaced here by what a machine without them would show, so the
verdicts do not depend on where the tests run.
"""
import pytest

from conftest import ROOT
from grader import sandbox
from grader.batch import doctor
from grader.cli import main
from grader.rubric import parse_rubric

EXTRA_TESTS = """
import bank
import nosuch_pkg_for_doctor
from pathlib import Path

def test_deposit():
    assert bank.BankAccount(5).balance == 5
"""


@pytest.fixture
def machine(monkeypatch):
    """A machine with the levels given, and bwrap/setpriv present or not."""
    def set_up(levels, tools=("bwrap", "setpriv")):
        monkeypatch.setattr(sandbox, "available_levels", lambda: tuple(levels))
        monkeypatch.setattr(sandbox, "isolation_level", lambda: levels[0])
        monkeypatch.setattr(doctor.shutil, "which", lambda name: f"/usr/bin/{name}" if name in tools else None)
    return set_up


def lines(text):
    return {line.split(":")[0]: line for line in text.splitlines() if ":" in line}


def test_a_ready_machine_says_so_and_exits_0(machine, capsys):
    machine(["bubblewrap", "process"])
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    found = lines(out)
    assert {"platform", "bubblewrap", "setpriv", "isolation", "packages"} <= set(found)
    assert all(" ok " in line for line in found.values())
    assert "bubblewrap (this machine offers bubblewrap, process)" in found["isolation"]
    assert out.rstrip().endswith("ready to grade a class")


def test_a_machine_without_bubblewrap_is_not_ready_for_a_class(machine, capsys):
    machine(["process"], tools=("setpriv",))
    assert main(["doctor"]) == 1
    found = lines(capsys.readouterr().out)
    assert " NO " in found["bubblewrap"] and "apt-get install bubblewrap" in found["bubblewrap"]
    assert " NO " in found["isolation"] and "too weak: process" in found["isolation"]
    assert "grader check still works" in found["isolation"]


def test_a_package_the_rubrics_pytest_file_imports_is_named_with_its_file(tmp_path, machine, capsys):
    machine(["bubblewrap", "process"])
    rubric_text = (ROOT / "rubric.yaml").read_text()
    entry = "      - id: extra\n        pytest: extra_tests.py\n        points_per_test: 1\n"
    head, sep, tail = rubric_text.partition("    checks:\n")
    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    (tmp_path / "rubric.yaml").write_text(head + sep + entry + tail)
    parse_rubric(tmp_path / "rubric.yaml", head + sep + entry + tail)  # a valid rubric
    assert main(["doctor", "--rubric", str(tmp_path / "rubric.yaml")]) == 1
    packages = lines(capsys.readouterr().out)["packages"]
    assert "nosuch_pkg_for_doctor (needed by extra_tests.py in the rubric: pip install nosuch_pkg_for_doctor)" \
        in packages
    assert "bank" not in packages and "pathlib" not in packages and "pytest" not in packages


def test_a_package_the_rubric_allows_students_is_checked(tmp_path, machine, capsys):
    machine(["bubblewrap", "process"])
    text = (ROOT / "rubric.yaml").read_text().replace(
        "tasks:\n", "packages: [{pip: nosuch-dist-for-doctor>=1.2, module: nosuch_mod_for_doctor}, yaml]\ntasks:\n", 1)
    (tmp_path / "rubric.yaml").write_text(text)
    assert main(["doctor", "--rubric", str(tmp_path / "rubric.yaml")]) == 1
    packages = lines(capsys.readouterr().out)["packages"]
    assert "nosuch_mod_for_doctor (needed by the rubric's packages (bank): " \
           "pip install 'nosuch-dist-for-doctor>=1.2')" in packages
    assert "yaml" not in packages  # installed: not named as missing


def test_asking_for_dask_without_it_installed_names_the_extra(machine, monkeypatch, capsys):
    import sys

    machine(["bubblewrap", "process"])
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["doctor", "--cluster"]) == 1
    assert "pip install 'grader[cluster]'" in lines(capsys.readouterr().out)["dask"]


def test_a_package_the_child_cannot_import_is_named_with_the_fix(tmp_path, machine, monkeypatch, capsys):
    """Found, but where the sandboxed child does not look (an editable install's import hook, the
    user's site-packages): the child, which starts without `site`, could not import it."""
    machine(["bubblewrap", "process"])
    project = tmp_path / "project" / "course_helpers"
    project.mkdir(parents=True)
    (project / "__init__.py").write_text("")
    found = doctor.importlib.util.find_spec

    def find_spec(name, *args):
        if name == "course_helpers":
            return doctor.importlib.util.spec_from_file_location(name, project / "__init__.py")
        return found(name, *args)

    monkeypatch.setattr(doctor.importlib.util, "find_spec", find_spec)
    text = (ROOT / "rubric.yaml").read_text().replace("tasks:\n", "packages: [course_helpers, yaml]\ntasks:\n", 1)
    (tmp_path / "rubric.yaml").write_text(text)
    assert main(["doctor", "--rubric", str(tmp_path / "rubric.yaml")]) == 1
    packages = lines(capsys.readouterr().out)["packages"]
    assert "where the sandboxed child does not look" in packages and "course_helpers" in packages
    assert "yaml" not in packages  # in this Python's site-packages: the child sees it
