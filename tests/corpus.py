"""The labelled corpora of sample submissions, read from each file's header comments."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Sample:
    path: Path
    correct: bool
    style: str
    bug: str
    must_fail: frozenset[str]
    may_fail: frozenset[str]

    @property
    def name(self) -> str:
        return self.path.stem


def _ids(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def read_sample(path: Path) -> Sample:
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[:12]:
        if line.startswith("# ") and ":" in line:
            key, _, value = line[2:].partition(":")
            fields.setdefault(key.strip(), value.strip())
    missing = {"corpus", "style", "bug", "must_fail", "may_fail"} - set(fields)
    if missing:
        raise ValueError(f"{path}: header lacks {', '.join(sorted(missing))}")
    return Sample(path, fields["corpus"] == "correct", fields["style"], fields["bug"],
                  _ids(fields["must_fail"]), _ids(fields["may_fail"]))


def samples(task: str) -> list[Sample]:
    return [read_sample(p) for p in sorted((CORPUS / task).glob("*.py"))]
