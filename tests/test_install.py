"""Install anywhere: a wheel (and a wheel built from the sdist) carries the default rubric, and a
fresh virtual environment grades the reference solutions from an unrelated folder. No network:
the dependencies come from the system's site-packages, the build uses the installed setuptools."""
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(importlib.util.find_spec("wheel") is None,
                                reason="building a wheel needs the `wheel` package (pip install '.[test]')")


def _run(args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The project as a source checkout holds it (a copy: building writes build/ and *.egg-info)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "rubric.yaml"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "grader", src / "grader",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "rubric.yaml"))
    return src


def _wheel(source, out):
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", str(out), str(source)])
    (wheel,) = out.glob("grader-*.whl")
    return wheel


def test_wheel_installs_into_a_fresh_venv_and_grades_from_an_unrelated_folder(source, tmp_path):
    wheel = _wheel(source, tmp_path / "dist")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("grader/rubric.yaml") == (ROOT / "rubric.yaml").read_bytes()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    student = tmp_path / "student"
    student.mkdir()
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    shutil.copy(ROOT / "reference" / "downloader.py", student / "downloader.py")
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    where = _run([str(python), "-c", "import grader.rubric as r; print(r.DEFAULT_RUBRIC)"],
                 cwd=student, env=env).stdout.strip()
    assert where.startswith(str(venv)) and where.endswith("grader/rubric.yaml")
    done = subprocess.run([str(venv / "bin" / "grader"), "check"], cwd=student, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bank: bank.py" in done.stdout and "downloader: downloader.py" in done.stdout
    assert "rubric not found" not in done.stdout + done.stderr


def test_the_sdist_carries_the_rubric_into_its_wheel(source, tmp_path):
    _run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path / "sdist")], cwd=source)
    (sdist,) = (tmp_path / "sdist").glob("grader-*.tar.gz")
    with tarfile.open(sdist) as tf:
        assert any(name.endswith("/rubric.yaml") and name.count("/") == 1 for name in tf.getnames())
    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as tf:
        tf.extractall(unpacked)
    (root,) = unpacked.iterdir()
    wheel = _wheel(root, tmp_path / "dist")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("grader/rubric.yaml") == (ROOT / "rubric.yaml").read_bytes()
