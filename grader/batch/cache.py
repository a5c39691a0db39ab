"""Remember grades by what was graded, so a re-run skips everything that did not change.

A grade is a pure function of the submission's content, the rubric and the grader (the default
seed itself derives from the content), so the key hashes exactly those: the task, the rubric's
digest, the grader's version together with a digest of its grading engine's source (so an
upgraded check never serves a stale grade), and every staged file's name and content. Two
students with identical files share one key, hence one grading and one grade; each still gets
their own row and feedback. One JSON file per key: parallel writers never touch the same file,
a crash loses at most the entry being written (written to a temporary file, then renamed), and
a damaged entry is just a miss.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader import __version__
from grader.grading import CheckResult, GradeReport

KEY_SCHEMA = "grader-batch-cache/1"
# Folders of the package that never change a grade: leaving them out keeps the cache valid
# while outputs are edited.
NOT_ENGINE = ("batch", "reports")


@functools.lru_cache(maxsize=1)
def engine_version() -> str:
    """`<version>+<digest of the grading engine's source>`."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] in NOT_ENGINE:
            continue
        digest.update(str(rel).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def content_key(task: str, rubric_digest: str, engine: str, files: list[tuple[str, str]]) -> str:
    """The cache key of one submission; `files` is (staged name, sha256 of content) pairs."""
    digest = hashlib.sha256()
    for part in (KEY_SCHEMA, task, rubric_digest, engine):
        digest.update(part.encode() + b"\0")
    for name, content in sorted(files):
        digest.update(name.encode() + b"\0" + content.encode() + b"\0")
    return digest.hexdigest()


def report_from_dict(data: dict[str, Any]) -> GradeReport:
    names = {f.name for f in dataclasses.fields(GradeReport)}
    check_names = {f.name for f in dataclasses.fields(CheckResult)}
    values = {k: v for k, v in data.items() if k in names}
    values["checks"] = [CheckResult(**{k: v for k, v in c.items() if k in check_names})
                        for c in data.get("checks", [])]
    return GradeReport(**values)


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> GradeReport | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            return report_from_dict(data["report"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, report: GradeReport) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"key": key, "report": report.to_dict()}, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
