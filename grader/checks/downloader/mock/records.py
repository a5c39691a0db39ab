"""One request as the grader's server saw it: the evidence every downloader verdict reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Record:
    id: int
    url: str
    method: str
    thread: int
    start: float  # seconds since the server opened
    timeout: float | None | str
    in_flight: int  # requests in flight right after this one arrived
    released: float | None = None  # when the gate let it go
    ident: int = 0  # threading.get_ident() of the thread that made it
    phase: int | None = None  # SequencedServer: the round of answers it belongs to
    answered: int | None = None  # SequencedServer: 1 for the first answer it let go, 2, ...
    end: float | None = None
    outcome: str = ""  # "200", "301", "ConnectionError", "ReadTimeout", ...
    client: str = "requests"  # or "urllib" (answered too, so the rest can be judged)
    native: int = 0  # the thread's native id (grader.sandbox.stuck reads its state), never reported
    # SequencedServer: the line (its time, its thread) that a thread which made no request
    # printed, naming no URL, and that the server took as this answer's reaction
    reported_by: tuple[float, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        r = lambda t: None if t is None else round(t, 4)  # noqa: E731
        return {"id": self.id, "url": self.url, "method": self.method, "thread": self.thread,
                "start": r(self.start), "released": r(self.released), "end": r(self.end),
                "outcome": self.outcome, "timeout": self.timeout, "in_flight": self.in_flight,
                "phase": self.phase, "answered": self.answered, "client": self.client,
                "reported_by": None if self.reported_by is None else list(self.reported_by)}
