"""The resource limits of one submission's sandboxed run: what the rubric may set (`limits:`),
what the sandbox enforces (time in the child's own time, grader/sandbox/owntime.py; the rest as
rlimits, cgroup caps and bubblewrap's size-capped folders)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's sandboxed run (the rubric's `limits:`, per task)."""

    submission_seconds: float = 120.0  # wall clock for everything a submission runs
    check_seconds: float = 20.0  # wall clock for one probe
    import_seconds: float = 10.0  # wall clock for importing the submission
    cpu_seconds: int = 120
    memory_mb: int = 2048  # address space; threads' stacks are kept small so 100+ threads fit
    file_size_mb: int = 16
    output_kb: int = 64  # captured stdout/stderr kept per stream
    processes: int = 1100  # tasks (processes and threads) at once: a textbook pool of 1,000 workers fits
    disk_mb: int = 64  # bytes the child may write in all (its /tmp, its /dev/shm: each capped)
