"""Remember grades by what was graded, so a re-run skips everything that did not change.

A grade is a pure function of the submission's content, the rubric and the grader (the default
seed itself derives from the content), so the key hashes exactly those: the task, the rubric's
digest, the grader's version together with a digest of its grading engine's source (so an
upgraded check never serves a stale grade), and every staged file's name and content. Two
students with identical files share one key, hence one grading and one grade; each still gets
their own row and feedback. One JSON file per key: parallel writers never touch the same file,
a crash loses at most the entry being written (written to a temporary file, then renamed), and
a damaged entry is just a miss.

Entries are authenticated: each carries an HMAC-SHA256 of its key and report under a secret
kept in the cache folder (`.key`, readable by the grader's user only; the cache folder is never
visible to a sandboxed child). An entry forged or edited by anyone without the secret, a student's
program run at a weak isolation level included, fails the check, counts as a miss, and is
regraded and overwritten.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from pathlib import Path

from grader import __version__
from grader.results import CodecError, GradeReport, report_from_dict, report_to_dict

# 3: reports carry statuses note and error and a cause per check (grader.results's codec); an
# entry written before is a miss, regraded, never misread.
KEY_SCHEMA = "grader-batch-cache/3"
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
        digest.update(_raw(str(rel)) + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def content_key(task: str, rubric_digest: str, engine: str, files: list[tuple[str, str]]) -> str:
    """The cache key of one submission; `files` is (staged name, sha256 of content) pairs."""
    digest = hashlib.sha256()
    for part in (KEY_SCHEMA, task, rubric_digest, engine):
        digest.update(_raw(part) + b"\0")
    for name, content in sorted(files):
        digest.update(_raw(name) + b"\0" + _raw(content) + b"\0")
    return digest.hexdigest()


def _raw(text: str) -> bytes:
    """Bytes of any str, lone surrogates included: a file name that is not valid UTF-8 reaches
    Python as surrogate escapes, and one student's odd name must not fail the class's batch."""
    return text.encode("utf-8", "surrogatepass")


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def secret(self) -> bytes:
        """The folder's HMAC key, created on first use (0600, in a 0700 folder), published
        atomically so parallel graders agree on it."""
        with self._lock:
            if self._secret is None:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.chmod(self.folder, 0o700)  # entries and key: the grader's user only
                path = self.folder / ".key"
                text = self._read_key(path)
                if text is None:
                    fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".key-")
                    with os.fdopen(fd, "w", encoding="ascii") as out:
                        out.write(secrets.token_hex(32))
                    try:
                        if path.exists():  # damaged: replace it (its entries become misses)
                            os.replace(tmp, path)
                        else:
                            os.link(tmp, path)
                    except FileExistsError:
                        pass  # another grader published one first: use theirs
                    finally:
                        Path(tmp).unlink(missing_ok=True)
                    text = self._read_key(path)
                if text is None:
                    raise OSError(f"{path}: cannot read the cache's key")
                self._secret = text.encode()
            return self._secret

    @staticmethod
    def _read_key(path: Path) -> str | None:
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            return None
        return text if len(text) == 64 else None

    def _mac(self, key: str, report_text: str) -> str:
        return hmac.new(self.secret(), key.encode() + b"\0" + report_text.encode(), hashlib.sha256).hexdigest()

    def get(self, key: str) -> GradeReport | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if data.get("key") != key or not isinstance(data.get("report"), str):
                return None
            if not hmac.compare_digest(str(data.get("mac", "")), self._mac(key, data["report"])):
                return None
            return report_from_dict(json.loads(data["report"]))
        except (OSError, ValueError, KeyError, TypeError, CodecError):
            return None

    def put(self, key: str, report: GradeReport) -> None:
        self.secret()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        report_text = json.dumps(report_to_dict(report), sort_keys=True)
        text = json.dumps({"key": key, "report": report_text, "mac": self._mac(key, report_text)})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
