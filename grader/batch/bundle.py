"""`grader gradescope-bundle`: the zip a Gradescope programming assignment runs as its autograder.

Gradescope builds an image from the zip's `setup.sh` (run once, as root, on Ubuntu) and runs
`run_autograder` for every submission, with the submission in /autograder/submission and the
zip extracted in /autograder/source; the results must land in
/autograder/results/results.json. The zip carries this grader's own source (so the image
grades exactly as this machine does) and the rubric, at the root of the archive as Gradescope
requires. Entries are sorted and dated 1980-01-01, so the same grader and rubric give the same
zip, byte for byte.
"""
from __future__ import annotations

import hashlib
import shlex
import zipfile
from pathlib import Path

from grader import __version__
from grader.errors import GraderError
from grader.presentation import nominal_maximum
from grader.rubric import Rubric

DEPENDENCIES = ["requests>=2.28", "urllib3>=1.26", "pyyaml>=6.0", "pytest>=7"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -eu
cd /autograder/source
if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    # python3 and pip, and bubblewrap for the strongest sandbox where the image allows it
    apt-get install -y -qq python3 python3-pip bubblewrap >/dev/null 2>&1 || \\
        apt-get install -y -qq python3 python3-pip >/dev/null 2>&1 || true
fi
python3 -m pip install -q ./grader-src 2>/dev/null || \\
    python3 -m pip install -q --break-system-packages ./grader-src
python3 -c "import grader; print('grader', grader.__version__, 'installed')"
"""

PACKAGES = """# The third-party packages the course allows (the rubric's `packages:`): a program importing
# one is graded like any other; one missing at grading time is reported as the grader's error.
python3 -m pip install -q {requirements} 2>/dev/null || \\
    python3 -m pip install -q --break-system-packages {requirements}
python3 -c "import {modules}; print('course packages installed: {shown}')"
"""


def setup_script(rubric: Rubric, tasks: list[str]) -> str:
    """`setup.sh`: the grader, then the packages the bundled tasks allow."""
    packages = []
    for task in tasks:
        packages += [p for p in rubric.task(task).packages if p not in packages]
    if not packages:
        return SETUP
    return SETUP + PACKAGES.format(
        requirements=" ".join(shlex.quote(p.pip) for p in packages),
        modules=", ".join(dict.fromkeys(p.module for p in packages)),
        shown=", ".join(p.pip for p in packages).replace("'", ""))


RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT lets you try it outside Gradescope.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$ROOT/results"
cd "$ROOT/source" || exit 1
exec python3 -m grader.batch.autograder --rubric "$ROOT/source/rubric.yaml" {tasks} \\
    "$ROOT/submission" "$ROOT/results/results.json"
"""

PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "grader"
version = "{version}"
description = "Autograder for the threaded downloader and bank exercises (Gradescope bundle)"
requires-python = ">=3.10"
dependencies = [{deps}]

[tool.setuptools.packages.find]
include = ["grader*"]
"""

README = """Gradescope autograder for: {tasks}
Students submit: {files}
Built by grader {version}; rubric sha256 {digest}.

Upload this zip as the autograder of a Gradescope "Programming Assignment"
(Ubuntu base image). Set the assignment's total points to {points}.
To try it locally: unzip into DIR/source, put a submission in DIR/submission, then
AUTOGRADER_ROOT=DIR bash DIR/source/run_autograder and read DIR/results/results.json.
"""

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, _EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) << 16)
    info.create_system = 3  # unix, so the permission bits above are honoured
    zf.writestr(info, data)


def write_bundle(path: Path, rubric: Rubric, tasks: list[str]) -> Path:
    try:
        rubric_text = rubric.path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GraderError(f"{rubric.path}: cannot read the rubric to bundle it ({exc})") from None
    if hashlib.sha256(rubric_text.encode()).hexdigest() != rubric.digest:
        raise GraderError(f"{rubric.path}: changed since it was loaded; run the command again")
    specs = [rubric.task(t) for t in tasks]
    package = Path(__file__).resolve().parent.parent
    sources = sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    entries: dict[str, tuple[bytes, bool]] = {
        "setup.sh": (setup_script(rubric, tasks).encode(), True),
        "run_autograder": (RUN.format(tasks=" ".join(f"--task {shlex.quote(t)}" for t in tasks)).encode(), True),
        "rubric.yaml": (rubric_text.encode(), False),
        "README.txt": (README.format(tasks=", ".join(tasks), files=", ".join(s.file for s in specs),
                                     version=__version__, digest=rubric.digest,
                                     points=f"{sum(nominal_maximum(s) for s in specs):g}").encode(), False),
        "grader-src/pyproject.toml": (PYPROJECT.format(
            version=__version__, deps=", ".join(f'"{d}"' for d in DEPENDENCIES)).encode(), False),
    }
    for source in sources:
        entries[f"grader-src/grader/{source.relative_to(package).as_posix()}"] = (source.read_bytes(), False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(entries):
            data, executable = entries[name]
            _add(zf, name, data, executable)
    tmp.replace(path)
    return path
