"""The child starts without `site` (-S, grader.sandbox.box.child_python) and adds the grader's
site-packages folders itself (grader.sandbox.child._site): the folders their .pth files list,
none of those files' code, and the builtins `site` makes."""
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from grader.grading import grade
from grader.sandbox import box, sitepaths

pytestmark = pytest.mark.sandbox


def _child_site(folder) -> list[str]:
    """sys.path and the builtins in a `python -S` that ran child._site([folder])."""
    code = textwrap.dedent(f"""
        import builtins, json, sys
        from grader.sandbox.child import _site
        _site(({str(folder)!r},))
        print(json.dumps([sys.path, [n for n in ("exit", "quit", "help", "copyright", "credits",
                                                 "license") if hasattr(builtins, n)],
                          "ran" in sys.modules]))
    """)
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return __import__("json").loads(done.stdout)


def test_a_site_folder_and_the_folders_its_pth_files_list_are_added_but_no_pth_code_runs(tmp_path):
    site_dir, listed = tmp_path / "site-packages", tmp_path / "elsewhere"
    site_dir.mkdir()
    listed.mkdir()
    (tmp_path / "ran.py").write_text("")
    (site_dir / "paths.pth").write_text(f"# a comment\n{listed}\n{tmp_path / 'missing'}\n")
    (site_dir / "code.pth").write_text(f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import ran\n")
    path, builtins, ran = _child_site(site_dir)
    assert str(site_dir) in path and str(listed) in path
    assert str(tmp_path / "missing") not in path and str(tmp_path) not in path and not ran
    assert builtins == ["exit", "quit", "help", "copyright", "credits", "license"]


def test_the_childs_site_folders_are_this_pythons_own():
    import site

    assert sitepaths.site_dirs() == tuple(d for d in site.getsitepackages() if __import__("os").path.isdir(d))
    assert "-S" in box.child_python()
    assert sitepaths.seen_by_child(__import__("yaml").__file__)  # installed here
    assert not sitepaths.seen_by_child(str(ROOT / "reference" / "bank.py"))


def test_a_program_that_ends_with_exit_and_imports_an_installed_package_runs_as_usual(tmp_path):
    """tests/programs/bank/stderr_balance.py, importing an installed package (found without
    `site`) and ending with `exit(0)` (a builtin `site` makes)."""
    from grader.rubric import load_rubric

    program = (ROOT / "tests" / "programs" / "bank" / "stderr_balance.py").read_text()
    path = tmp_path / "bank.py"
    path.write_text("import yaml\n" + program + "exit(0)\n")
    report = grade(load_rubric(ROOT / "rubric.yaml"), "bank", path)
    assert report.score >= report.max_score, [(c.id, c.message) for c in report.checks if c.status != "passed"]


def test_the_site_folders_the_child_is_given_hold_installed_modules():
    """A venv's site-packages, which `sysconfig` does not name in a child started without
    `site`: an installed module's own top level there is not the student's."""
    from grader.sandbox import audit_hook

    assert "/venv/lib/python3/site-packages/" in audit_hook._installed(("/venv/lib/python3/site-packages",))
    assert "/venv/lib/python3/site-packages/" not in audit_hook._installed()
