"""Copy each submission into a folder of its own before grading it.

The sandbox copies a submission's sibling `.py` files as helper modules, so grading a file
where the LMS left it (a flat folder of the whole class) would hand every other student's
files to it. A staged folder holds only this student's files, under the names the rubric and
the student's imports expect (`bank.py`, not `smith_john_12_34_bank-1.py`). The folder is named
by the content key, so identical submissions share one folder and one grading.
"""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.batch.cache import content_key
from grader.rubric import TaskSpec
from grader.submission import MAX_SOURCE_BYTES


@dataclass(frozen=True)
class Staged:
    key: str
    main: Path  # the staged main file, named as the rubric says


def _digest(path: Path, limit: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(limit + 1)).hexdigest()


def stage(task: TaskSpec, main: Path, helpers: list[tuple[str, Path]], work: Path,
          rubric_digest: str, engine: str) -> Staged:
    """Stage one submission under `work`; raises OSError when its files cannot be read."""
    files = [(task.file, main)] + [(name, path) for name, path in helpers if name != task.file]
    digests = [(name, _digest(path, MAX_SOURCE_BYTES if name == task.file else 10 * MAX_SOURCE_BYTES))
               for name, path in files]
    key = content_key(task.name, rubric_digest, engine, digests)
    folder = work / key[:24]
    target = folder / task.file
    if not target.exists():
        tmp = work / f".{key[:24]}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, path in files:
            shutil.copyfile(path, tmp / name)
        try:
            tmp.rename(folder)
        except OSError:  # staged meanwhile by a student with the same files
            shutil.rmtree(tmp, ignore_errors=True)
    return Staged(key, target)
