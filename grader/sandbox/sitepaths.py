"""The folders of installed packages the sandboxed child looks in (both sides).

The child starts without `site` (-S, grader.sandbox.box.child_python): the .pth files of the
grader's site-packages would run their code at every child's start. So the grader names its
site-packages folders in the job, and the child adds them with the folders their .pth files list
(as `site.addpackage` does for a line naming a folder that exists), running none of their
`import` lines. `grader doctor` asks the same question of each package the course needs: a
module found elsewhere (the user's site-packages, an editable install's import hook) is one the
child cannot import.
"""
from __future__ import annotations

import functools
import os
import site


@functools.lru_cache(maxsize=1)
def site_dirs() -> tuple[str, ...]:
    """This Python's site-packages folders as its `site` set them up (a venv's own, and the base
    installation's where the venv includes them), which a child started with -S cannot tell:
    without `site`, a venv's `sys.prefix` is the base installation's. No user site-packages: the
    child never had them (it ran with -s before)."""
    try:
        found = site.getsitepackages()
    except AttributeError:  # pragma: no cover - an old virtualenv's own site module
        return ()
    return tuple(folder for folder in found if os.path.isdir(folder))


def folders(site_dirs: tuple[str, ...]) -> list[str]:
    """`site_dirs` that exist, each followed by the existing folders its .pth files list."""
    found: list[str] = []
    for folder in site_dirs:
        if folder in found or not os.path.isdir(folder):
            continue
        found.append(folder)
        try:
            names = sorted(name for name in os.listdir(folder) if name.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(folder, name), encoding="utf-8-sig") as handle:
                    lines = handle.read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                if not line.strip() or line.startswith(("#", "import ", "import\t")):
                    continue
                path = os.path.abspath(os.path.join(folder, line.rstrip()))
                if path not in found and os.path.exists(path):
                    found.append(path)
    return found


def seen_by_child(origin: str) -> bool:
    """Whether a module found at `origin` (a file or a package's folder) lies where the child
    looks: the standard library, this Python's site-packages folders, the folders their .pth
    files list. Not so for the user's site-packages or an editable install's import hook."""
    real = os.path.realpath(origin)
    return any(real == folder or real.startswith(folder.rstrip("/") + "/") for folder in _looked())


@functools.lru_cache(maxsize=1)
def _looked() -> tuple[str, ...]:
    """Where the child looks, as real paths: read once, not once per module `grader doctor` asks
    about (the .pth files, each folder's real path)."""
    import sysconfig  # the grader's side only (`grader doctor`): the child never asks

    paths = sysconfig.get_paths()
    found = [paths[k] for k in ("stdlib", "platstdlib") if k in paths] + folders(site_dirs())
    return tuple(os.path.realpath(folder) for folder in found)
