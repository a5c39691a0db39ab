"""What a grading produced: the records every output reads.

Kept apart from `grading` (which runs the sandbox) so that a report, a gradebook or the CI
summary can read a grading without importing the machinery that made it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from grader import __version__


@dataclass
class CheckResult:
    id: str
    status: str
    score: float
    max_score: float
    message: str
    description: str
    visibility: str
    bonus: bool = False
    details: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class GradeReport:
    task: str
    file: str
    style: str
    score: float
    max_score: float
    seed: int
    checks: list[CheckResult]
    error: str | None = None  # why nothing could be graded (missing file, syntax error, ...)
    isolation: str = ""
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)
    # Reasons that withhold the automated score (e.g. code that reaches into the grader): the
    # score stands only once a person has looked. Every output shows them; `check` exits 1.
    needs_review: list[str] = field(default_factory=list)
    grader_version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
