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

At the bubblewrap level the copy is also kept between grader processes (`shared()`), so that a
`grader check` does not pay the 0.3-0.5 s of copying and compiling again: see `shared()` for why
that is safe there and only there.
"""
from __future__ import annotations

import atexit
import compileall
import functools
import hashlib
import importlib.util
import os
import stat
import time
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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


def _hashed(digest: Any, base: Path, paths: list[Path]) -> str:
    """`digest` fed each path's name (relative to `base`) and bytes, in the order given."""
    for path in paths:
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return str(digest.hexdigest())


def _digest(folder: Path, skip: str = "") -> str:
    """Every file's name and bytes under `folder` but the one named `skip`."""
    return _hashed(hashlib.sha256(), folder, [p for p in sorted(folder.rglob("*"))
                                              if (p.is_file() or p.is_symlink()) and p.name != skip])


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


_BUILDING: list[tuple[str, Path, "subprocess.Popen[bytes]"]] = []  # (kind, folder, process)


def start() -> None:
    """Begin building the boot copy in a process of its own; `shared()` or `template()` waits.

    Why: copying and compiling about 100 modules takes 0.3-0.5 s of CPU that every
    `grader check` pays before its first child can start, while the command itself is still
    importing the engine, loading the rubric and auditing the submission. Started first, the
    build runs on the other core meanwhile, and only when no kept copy exists yet (`kept()`):
    the kept copy of a previous run is reused. The process runs this file with the grader's own
    interpreter in isolated mode (`-I`: neither the working folder, which is the student's,
    nor the environment decides what it imports); if it fails, `shared()` or `template()`
    builds the copy itself, as it always did."""
    if _BUILDING or template.cache_info().currsize or shared.cache_info().currsize:
        return
    root = _ready_root(_cache_root())
    if root is None:
        _spawn("private", _new_folder())
    elif not (root / _key()).is_dir():
        _spawn("kept", root)


def _spawn(kind: str, folder: Path) -> None:
    """Build in a process of its own: a private copy in `folder`, or the kept one under it."""
    try:
        process = subprocess.Popen([sys.executable, "-I", str(Path(__file__).resolve()), kind, str(folder)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd="/")
    except OSError:
        return
    _BUILDING.append((kind, folder, process))


def _built_elsewhere(kind: str) -> Path | None:
    """The folder `start()` had built, once its process has ended well (else None). A kept
    copy is never taken as a private one: only bubblewrap mounts it (see `shared()`)."""
    if not _BUILDING or _BUILDING[-1][0] != kind:
        return None
    _, folder, process = _BUILDING.pop()
    if process.wait() == 0:
        return folder
    if kind == "private":
        shutil.rmtree(folder, ignore_errors=True)
    return None


@functools.lru_cache(maxsize=1)
def template() -> Path:
    """The per-process boot folder: `<folder>/grader/...`, compiled, readable by everyone."""
    folder = _built_elsewhere("private")
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


# -- kept between processes, for the bubblewrap level ----------------------------------------

DIGEST = "DIGEST"  # beside a kept copy's tree: the sha256 of the tree, written before it is named
TREE = "tree"  # the kept copy proper (`tree/grader/...`), all that bubblewrap mounts
UNUSED_DAYS = 3  # a kept copy of another version (or Python) unused this long is removed


def _cache_root() -> Path:
    """Where kept copies live: `$XDG_CACHE_HOME/grader/boot` (default `~/.cache/grader/boot`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "grader" / "boot"


def _private_folder(path: Path) -> bool:
    """`path` is a real folder (no symlink) of the grader's user that nobody else may write."""
    info = os.lstat(path)
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _ready_root(root: Path) -> Path | None:
    """The cache root, made if need be; None if it (or its parent) is not the grader's alone."""
    try:
        root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        root.mkdir(exist_ok=True, mode=0o700)
        return root if _private_folder(root.parent) and _private_folder(root) else None
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def _key() -> str:
    """Names a kept copy: the interpreter and the engine's sources, byte for byte."""
    interpreter = f"{sys.version}\0{sys.executable}\0".encode() + importlib.util.MAGIC_NUMBER
    return _hashed(hashlib.sha256(interpreter), package_dir(), _engine_files())[:32]


def _verified(folder: Path) -> bool:
    """A kept copy whose files are the ones its build recorded, and the grader's alone."""
    try:
        recorded = (folder / DIGEST).read_text(encoding="ascii")
        return _private_folder(folder.parent) and os.lstat(folder).st_uid == os.geteuid() \
            and (folder / TREE).is_dir() and _digest(folder, skip=DIGEST) == recorded
    except OSError:
        return False


def _keep(root: Path, key: str) -> Path | None:
    """Build the copy for `key` beside the kept ones and name it, atomically: another grader
    process building the same copy at the same time keeps one of the two."""
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        os.chmod(building, 0o755)
        (building / TREE).mkdir()
        _build(building / TREE)
        (building / DIGEST).write_text(_digest(building, skip=DIGEST), encoding="ascii")
        os.chmod(building / DIGEST, 0o644)
        folder = root / key
        try:
            os.rename(building, folder)
        except OSError:  # named meanwhile by another process (or a broken copy is in the way)
            if not _verified(folder):
                shutil.rmtree(folder, ignore_errors=True)
                os.rename(building, folder)
        return folder if _verified(folder) else None
    except OSError:
        return None
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _prune(root: Path, keep: Path) -> None:
    """Remove the kept copies nobody used for UNUSED_DAYS (other versions, other Pythons)."""
    old = time.time() - UNUSED_DAYS * 86400
    for folder in root.iterdir():
        try:
            if folder != keep and folder.lstat().st_mtime < old:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def kept(root: Path | None = None) -> Path | None:
    """The kept copy of this engine (its tree, holding `grader/`), built if need be; None where
    none can be kept."""
    root = _ready_root(root or _cache_root())
    if root is None:
        return None
    folder = root / _key()
    if not _verified(folder) and _keep(root, folder.name) is None:
        return None
    try:
        os.utime(folder)
    except OSError:
        pass
    _prune(root, folder)
    return folder / TREE


@functools.lru_cache(maxsize=1)
def shared() -> Path:
    """The boot copy bubblewrap mounts: the kept one, else this process's own (`template()`).

    Why keeping it is safe at the bubblewrap level: the copy lives in a folder of the grader's
    user that nobody else may write (checked on every use: owner, mode, no symlink), a child
    sees it only through a read-only bind, and the grader checks its recorded digest before its
    first child: whoever could change it could as well change the installed package. Not at the
    `uid` level (the child reads the host's path, which a 0700 home keeps from its uid) nor at
    `process` level (the child runs as the grader's user and could edit it for later gradings:
    there each process has its own copy, checked before every child)."""
    _built_elsewhere("kept")  # start() found no kept copy: wait for its build, then verify it
    return kept() or template()


if __name__ == "__main__":  # start(): python -I .../grader/sandbox/bootcopy.py KIND FOLDER
    if sys.argv[1] == "kept":
        sys.exit(0 if kept(Path(sys.argv[2])) else 1)
    _build(Path(sys.argv[2]))
