"""What crosses the process boundary between the grader and its sandboxed child, typed.

The grader sends one `Job` (what to import, which `ProbeRequest`s to run); the child answers
each request with a `ProbeResult` whose outcome says what happened: `Observed(data)` (the
probe's plain JSON data, of the type the probe declared), `Crashed(kind, ...)` (no data: the
student's code raised, a name is missing, the child ran out of time or exited, or the grader's
own side broke) or `Tampered(why)` (the student's code changed the grader or the threading
module under it). Records travel as JSON (`to_wire`/`from_wire`); a record that does not have
a shape of ours is refused on arrival (`ValueError`), in the grader, once.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class ProbeRequest:
    """One probe run: its key (probe name and parameters), the parameters the child sees (the
    plan and the nonce included), and the grader's time limit for it (never sent)."""

    key: str
    probe: str
    params: dict[str, Any]
    timeout: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        return {"key": self.key, "probe": self.probe, "params": self.params}


@dataclass(frozen=True)
class Job:
    """Everything the child is told, on its stdin, before it runs anything."""

    token: str  # prefixes every frame of the result channel (grader.sandbox.channel)
    result_fd: int
    workdir: str
    filename: str
    style: str  # "contract": import the module first; "script": run it as a program
    entry_points: dict[str, str]
    seed: int
    limits: dict[str, Any]
    runs: tuple[ProbeRequest, ...] = ()
    # the grader's site-packages folders: the child starts without `site` (-S) and adds them
    # itself, with the folders their .pth files list, running none of those files' code
    site_dirs: tuple[str, ...] = ()

    def encode(self) -> bytes:
        wire = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "runs"}
        wire["runs"] = [r.to_wire() for r in self.runs]
        return json.dumps(wire).encode() + b"\n"

    @classmethod
    def decode(cls, line: str | bytes) -> Job:
        wire = json.loads(line)
        runs = tuple(ProbeRequest(r["key"], r["probe"], r["params"]) for r in wire.pop("runs"))
        wire["site_dirs"] = tuple(str(d) for d in wire.get("site_dirs", ()))
        return cls(**wire, runs=runs)


class ImportFailure(enum.Enum):
    """Why a submission's import (its top level) did not finish: what the grader saw."""

    RAISED = "raised"  # the student's top level raised (an assert, sys.exit, input() at the end)
    TIMEOUT = "timeout"  # it did not finish within the import time limit
    EXITED = "exited"  # the child exited (or was killed) while importing it
    SANDBOX = "sandbox"  # the child never started: the grader's own error


@dataclass(frozen=True)
class Observed:
    """The probe ran to its end and reports what the student's code did."""

    data: dict[str, Any]


# The kinds of crash. The first four come from the child (its word only); the others are the
# grader's own, set where it saw the child stop (the sandbox) or refused what it sent.
EXCEPTION = "exception"  # the student's code raised
MISSING = "missing"  # the grader's lookup of an entry point found it missing (`missing` names it)
GRADER = "grader"  # the grader's own code in the child raised: a grader bug, never the student's
TIMEOUT, BUDGET, EXIT, PROTOCOL = "timeout", "budget", "exit", "protocol"


@dataclass(frozen=True)
class Crashed:
    """The probe ended without data."""

    kind: str
    type: str = ""  # the exception's type name (or the kind, for the sandbox's own crashes)
    message: str = ""
    where: str | None = None  # the student's `file:line`, when the traceback passed through it
    missing: str | None = None  # the entry point the probe could not find (kind MISSING)

    @classmethod
    def stopped(cls, kind: str, message: str) -> Crashed:
        """A crash the grader's side records (a timeout, an exit, the budget, a bad frame)."""
        return cls(kind, kind, message)


@dataclass(frozen=True)
class Tampered:
    """The probe found the grader or the threading module changed under it: no data stands."""

    why: str


Outcome = Union[Observed, Crashed, Tampered]


@dataclass(frozen=True)
class ProbeResult:
    """The child's answer to one `ProbeRequest`."""

    outcome: Outcome
    seconds: float = 0.0  # the probe's run time, on the child's clock
    nonce: str = ""  # echoed from the request's parameters, whatever the probe did
    network: tuple[str, ...] = field(default=())  # connections the child's network guard refused

    def to_wire(self) -> dict[str, Any]:
        out = self.outcome
        wire: dict[str, Any] = {"seconds": self.seconds, "nonce": self.nonce,
                                "network": list(self.network)}
        if isinstance(out, Observed):
            wire.update(outcome="observed", data=out.data)
        elif isinstance(out, Crashed):
            wire.update(outcome="crashed", crash={"kind": out.kind, "type": out.type,
                                                  "message": out.message, "where": out.where,
                                                  "missing": out.missing})
        else:
            wire.update(outcome="tampered", why=out.why)
        return wire

    @classmethod
    def from_wire(cls, wire: Any) -> ProbeResult:
        """The record, or ValueError when it is not of a shape the child sends."""
        if not isinstance(wire, dict):
            raise ValueError("not a record")
        seconds, nonce, network = wire.get("seconds", 0.0), wire.get("nonce", ""), wire.get("network", [])
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not isinstance(nonce, str) \
                or not isinstance(network, list) or not all(isinstance(n, str) for n in network):
            raise ValueError("bad seconds, nonce or network")
        return cls(_outcome(wire), float(seconds), nonce, tuple(network))


def _outcome(wire: dict[str, Any]) -> Outcome:
    kind = wire.get("outcome")
    if kind == "observed" and isinstance(wire.get("data"), dict):
        return Observed(wire["data"])
    if kind == "tampered" and isinstance(wire.get("why"), str):
        return Tampered(wire["why"])
    crash = wire.get("crash")
    if kind != "crashed" or not isinstance(crash, dict):
        raise ValueError(f"no outcome of ours: {kind!r}")
    fields: dict[str, type | tuple[type, ...]] = {"kind": str, "type": str, "message": str, "where": (str, type(None)),
              "missing": (str, type(None))}
    if not all(isinstance(crash.get(name), kinds) for name, kinds in fields.items()):
        raise ValueError("a crash record of another shape")
    return Crashed(**{name: crash[name] for name in fields})


def checked(data: dict[str, Any], declared: type | tuple[type, ...]) -> str | None:
    """Why `data` is not of the probe's declared type (a TypedDict's required keys, each of the
    declared class when that is a plain class), or None when it is; a tuple of types: of one of
    them (the first one's reason otherwise). Checked once, on arrival."""
    if isinstance(declared, tuple):
        reasons = [checked(data, one) for one in declared]
        return None if None in reasons else reasons[0]
    hints = getattr(declared, "__annotations__", {})
    required = getattr(declared, "__required_keys__", frozenset(hints))
    for key in sorted(required):
        if key not in data:
            return f"its data lacks {key!r}"
    for key, hint in hints.items():
        if key in data and type(hint) is type and hint is not float and not isinstance(data[key], hint):
            return f"its {key!r} is not a {hint.__name__}"
    return None
