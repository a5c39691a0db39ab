"""What a sandboxed run gives back (`SandboxResult`, with its `Timings`), and the sandbox's own
records of what it saw: crash records for probes it saw end without a result, review reasons
about the result channel, the child's output as kept, how a child's exit reads."""
from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Any

from grader.probes.protocol import Crashed, ImportFailure, ProbeRequest, ProbeResult
from grader.sandbox.levels import isolation_level

ProbeRun = ProbeRequest  # the name the callers know


@dataclass
class Timings:
    """Where one sandboxed run's wall time went, on the grader's clock (never the child's word):
    cheap enough to keep always on; `bench/profile_bench.py` prints it."""

    setup: float = 0.0  # temporary folder, copies of the submission, the uid slot
    start: float = 0.0  # spawn to the child's "ready": bubblewrap, interpreter, engine import
    submission_import: float = 0.0  # "ready" to "import" (the submission's top level)
    probes: dict[str, float] = field(default_factory=dict)  # "begin" to "result", per probe key
    cleanup: float = 0.0  # killing what the child left, cgroup, temporary folder
    children: int = 0  # children started (a hang or crash restarts one)


@dataclass
class SandboxResult:
    observations: dict[str, ProbeResult] = field(default_factory=dict)  # by probe key
    import_error: str | None = None
    import_failure: ImportFailure | None = None  # how the import failed, when it did
    # the import_error is the grader's own (the child never got as far as the student's code):
    # graded as an error, never the student's failure
    grader_fault: bool = False
    # keys of the probes the sandbox cut because the machine was too busy (the wall backstop
    # fired before the child used its own time, grader/sandbox/owntime.py): the grader's error, regraded.
    # Kept here, not in the observation, so the child cannot claim it.
    busy: set[str] = field(default_factory=set)
    busy_import: bool = False  # the import_error is the machine's: too busy to finish the import
    stdout: str = ""
    stderr: str = ""
    isolation: str = "process"
    forged_frames: int = 0
    seconds: float = 0.0
    audit: list[dict[str, Any]] = field(default_factory=list)  # the child's audit hook findings
    # What the grader itself saw go wrong with the result channel (a child that ended without
    # its end-of-run frame, a replaced pipe, findings sent and not received): review reasons.
    integrity: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)


def crash(kind: str, message: str) -> ProbeResult:
    """A probe the sandbox saw end without a result (timeout, exit, budget, a bad frame)."""
    return ProbeResult(Crashed.stopped(kind, message))


class Output:
    """Keeps the first `limit` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit, self.data, self.dropped = limit, bytearray(), 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        self.data += chunk[:max(room, 0)]
        self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = self.data.decode("utf-8", "replace")
        return text + (f"\n[... {self.dropped} more bytes not kept]" if self.dropped else "")


def flag(result: SandboxResult, what: str) -> None:
    """What the grader saw of the channel, as a review reason. A child that delivered its
    results and never said "done" is not a clean run: a forger who silenced the audit hook
    would rather not send the count of its findings."""
    text = f"the sandboxed run: {what}, so its results cannot be vouched for"
    if text not in result.integrity:
        result.integrity.append(text)


def exit_text(code: int | None) -> str:
    if code is None:
        return "it did not stop"
    if code > 128 and isolation_level() == "bubblewrap":
        code = 128 - code  # bubblewrap reports a child killed by signal N as 128 + N
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
