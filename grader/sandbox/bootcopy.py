"""The copy of the grader's code that the sandboxed child imports (`grader.sandbox.child` and what it
needs), and nothing else of the grader's tree.

The child must not see the rubric, the reference solutions, the tests, the instructor's files
next to the package, nor any file it could patch for later gradings. So it gets a copy, made
once per grader process, of the engine's modules only: every `.py` file of the package except
the parts that run in the grader alone (batch grading, reports, the command line), compiled
once so each child starts without recompiling. Owned by the grader and read-only to others;
bubblewrap mounts it read-only too. Where the child runs as the grader's own uid without a
sandbox, it could edit the copy: `intact()` is checked before each such child starts, and an
edited copy is replaced by a new one.
"""
from __future__ import annotations

import atexit
import compileall
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GRADER_ONLY = ("batch", "reports", "cli", "__main__.py")


def package_dir() -> Path:
    """The `grader` package's folder (this module is grader/sandbox/bootcopy.py)."""
    return Path(__file__).resolve().parent.parent


def _engine_files() -> list[Path]:
    package = package_dir()
    return sorted(p for p in package.rglob("*.py")
                  if p.relative_to(package).parts[0] not in GRADER_ONLY and "__pycache__" not in p.parts)


def _fill(folder: Path) -> None:
    package = package_dir()
    for source in _engine_files():
        target = folder / "grader" / source.relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        shutil.copy2(source, target)  # keeps the mtime, so the compiled files stay valid
        os.chmod(target, 0o644)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() or path.is_symlink():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


_DIGESTS: dict[Path, str] = {}


def _build(folder: Path) -> None:
    """Copy the engine's files into `folder`, compile them, make them readable by everyone."""
    os.chmod(folder, 0o755)
    _fill(folder)
    compileall.compile_dir(str(folder / "grader"), quiet=2, workers=1)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


def _new_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="grader-boot-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


_BUILDING: list[tuple[Path, "subprocess.Popen[bytes]"]] = []


def start() -> None:
    """Begin building the boot copy in a process of its own; `template()` waits for it.

    Why: copying and compiling about 100 modules takes 0.3-0.5 s of CPU that every
    `grader check` pays before its first child can start, while the command itself is still
    importing the engine, loading the rubric and auditing the submission. Started first, the
    build runs on the other core meanwhile. The process runs this file with the grader's own
    interpreter in isolated mode (`-I`: neither the working folder, which is the student's,
    nor the environment decides what it imports); if it fails, `template()` builds the copy
    itself, as it always did."""
    if not _BUILDING and not template.cache_info().currsize:
        _spawn(_new_folder())


def _spawn(folder: Path) -> None:
    try:
        process = subprocess.Popen([sys.executable, "-I", str(Path(__file__).resolve()), str(folder)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd="/")
    except OSError:
        return
    _BUILDING.append((folder, process))


def _built_elsewhere() -> Path | None:
    """The folder `start()` had built, once its process has ended well (else None)."""
    if not _BUILDING:
        return None
    folder, process = _BUILDING.pop()
    if process.wait() == 0:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    return None


@functools.lru_cache(maxsize=1)
def template() -> Path:
    """The per-process boot folder: `<folder>/grader/...`, compiled, readable by everyone."""
    folder = _built_elsewhere()
    if folder is None:
        folder = _new_folder()
        _build(folder)
    _DIGESTS[folder] = _digest(folder)
    return folder


def intact() -> Path:
    """The template, made anew if anything in it changed since it was made."""
    folder = template()
    try:
        same = _digest(folder) == _DIGESTS.get(folder)
    except OSError:
        same = False
    if not same:
        template.cache_clear()
        shutil.rmtree(folder, ignore_errors=True)
        folder = template()
    return folder


if __name__ == "__main__":  # start(): python -I .../grader/sandbox/bootcopy.py FOLDER
    _build(Path(sys.argv[1]))
