"""Where one grading's time goes, phase by phase (issue 21): filled by `grade(..., profile=)`.

Always cheap (a few clock reads), never part of a verdict or a report: `bench/profile_bench.py`
prints it so the README's "Where the time goes" table can be remeasured on any machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from grader.probes.protocol import Observed, ProbeResult
from grader.sandbox import Timings


@dataclass
class GradingProfile:
    static_audit: float = 0.0  # reading and auditing the submission's source in the grader
    sandboxes: list[Timings] = field(default_factory=list)  # one per sandboxed run (a program may need two)
    schedules: dict[str, int] = field(default_factory=dict)  # per probe key: runs it reported
    judge: float = 0.0  # every judge, in the grader's process

    def note_schedules(self, observations: dict[str, ProbeResult]) -> None:
        """How many schedules (or scenario runs) each probe reported exploring."""
        for key, result in observations.items():
            data = result.outcome.data if isinstance(result.outcome, Observed) else {}
            runs = data.get("runs")
            if isinstance(runs, list):
                self.schedules[key] = self.schedules.get(key, 0) + len(runs)
