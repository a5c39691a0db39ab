"""A sandboxed child's own time: what its wall time would have been on an idle machine.

A check's time limit is a verdict input ("did not finish within N s"), so it must not depend on
how busy the grading machine is: the same submission gets the same score on a laptop, on a
loaded CI runner and on a class's batch with `--jobs` above the cores. Wall time does depend on
it (a probe of 1,000 virtual threads takes 6 s idle and 40+ s with both cores taken). So every
limit the sandbox enforces is counted in the child's *own time*: wall time less the time its
tasks were ready to run and waited for a CPU (the child's cgroup's CPU pressure, `cpu.pressure`
"some", exact for every thread and process in it), and never less than the CPU time it used.
A program that computes forever burns CPU, one that blocks forever lets own time run as wall
time does, so both are still cut, and judged, as on an idle machine.

Where no cgroup v2 pressure file is readable (a normal user, macOS), a sample interval in which
the child used almost no CPU counts in full (it was blocked: sleeping, waiting for a lock), one
in which it computed counts its CPU time (lenient when it also slept: a limit is a safety net).
Without even CPU figures, own time is wall time.

Wall time stays as a backstop (`BACKSTOP` times the limit, and `SLACK` past it at least): when
it fires before the child used its own time, the machine was too busy to finish, and that is the
grader's error (the check is regraded), never the student's failure. It fires only for a child
that wanted the CPU and did not get it, so it can be generous: a blocked child's own time runs
as fast as wall time, and a computing one's as fast as the machine lets it compute.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BACKSTOP = 10.0  # wall time may run to this many times a limit before the grader gives up,
SLACK = 60.0  # and to at least this many seconds past it (a 2 s limit on a loaded machine)
POLL = 0.25  # seconds between samples while a limit is running
IDLE = 0.05  # without pressure figures: an interval with CPU below this share of it was blocked


@dataclass(frozen=True)
class Sample:
    """One reading: wall seconds, and where known the child's CPU seconds and the seconds its
    tasks waited for a CPU (both cumulative since the child started)."""

    wall: float
    cpu: float | None = None
    stall: float | None = None


def own_increment(before: Sample, after: Sample) -> float:
    """The own time between two readings (see the module's docstring)."""
    wall = max(0.0, after.wall - before.wall)
    cpu = None if after.cpu is None or before.cpu is None else max(0.0, after.cpu - before.cpu)
    if after.stall is not None and before.stall is not None:
        stall = max(0.0, after.stall - before.stall)
        return max(wall - stall, cpu or 0.0, 0.0)
    if cpu is not None:
        return wall if cpu < IDLE * wall else cpu
    return wall


class OwnClock:
    """Own seconds of the children of one submission, read by sampling (`read`): a new child's
    sampler is attached when it starts; the seconds of earlier children are kept."""

    def __init__(self, wall: Callable[[], float] = time.monotonic) -> None:
        self.wall = wall
        self.own = 0.0
        self._sampler: Callable[[], Sample] = lambda: Sample(self.wall())
        self._last: Sample | None = None

    def attach(self, sampler: Callable[[], Sample] | None) -> None:
        """From now on read the child `sampler` measures (None: wall time only)."""
        self.read()
        self._sampler = sampler or (lambda: Sample(self.wall()))
        self._last = self._sampler()

    def read(self) -> float:
        """The own seconds so far (takes a sample)."""
        sample = self._sampler()
        if self._last is not None:
            self.own += own_increment(self._last, sample)
        self._last = sample
        return self.own


class Limit:
    """A limit of `seconds` of own time, with a wall-time backstop: `state()` is "running",
    "expired" (own time used up: the program's doing) or "busy" (the wall backstop fired first:
    the machine's). `seconds=inf` never expires."""

    def __init__(self, clock: OwnClock, seconds: float, backstop: float | None = None) -> None:
        self.clock, self.seconds = clock, seconds
        backstop = BACKSTOP if backstop is None else backstop
        self.own_start, self.wall_start = clock.read(), clock.wall()
        self.wall_end = self.wall_start + max(seconds * backstop, seconds + SLACK)

    def used(self) -> float:
        return self.clock.own - self.own_start

    def wall_used(self) -> float:
        return self.clock.wall() - self.wall_start

    def state(self) -> str:
        self.clock.read()
        if self.used() >= self.seconds:
            return "expired"
        if self.clock.wall() >= self.wall_end:
            return "busy"
        return "running"

    def wait(self) -> float:
        """How long to wait before the next `state()`: a poll, or less near either end."""
        return max(0.0, min(POLL, self.seconds - self.used(), self.wall_end - self.clock.wall()))


def cgroup_sampler(folder: Path, wall: Callable[[], float] = time.monotonic) -> Callable[[], Sample] | None:
    """A sampler reading a cgroup v2 folder's `cpu.stat` and `cpu.pressure` (None when either
    cannot be read there)."""
    stat, pressure = folder / "cpu.stat", folder / "cpu.pressure"

    def sample() -> Sample:
        return Sample(wall(), _usage(stat), _some_total(pressure))

    first = sample()
    return sample if first.cpu is not None and first.stall is not None else None


def proc_sampler(pid: int, wall: Callable[[], float] = time.monotonic) -> Callable[[], Sample] | None:
    """A sampler adding the CPU time of `pid` and every process below it (/proc; None where
    there is no /proc). Threads that ended are in their process's figure; processes that
    ended are not (a lenient estimate: see `own_increment`)."""
    if not Path(f"/proc/{pid}/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def sample() -> Sample:
        total, todo = 0, [pid]
        seen: set[int] = set()
        while todo and len(seen) < 2000:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
                # children of the main thread (those of other threads are left out: lenient)
                todo += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
            except (OSError, ValueError, IndexError):
                continue
        return Sample(wall(), total / tick)

    return sample


def _usage(path: Path) -> float | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
    except (OSError, ValueError):
        pass
    return None


def _some_total(path: Path) -> float | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("some "):
                return int(line.rsplit("total=", 1)[1]) / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return None



def waited_for_cpu() -> float | None:
    """In the child: seconds this process's threads have spent ready to run and waiting for a
    CPU (the sum of /proc/self/task/*/schedstat's run delays; threads that ended are not in
    it), None where /proc cannot tell. A wait for "nothing more will happen" subtracts it, so
    a thread the machine is slow to run is not taken for one that will never run."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    total, known = 0, False
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/schedstat", "rb") as f:
                total += int(f.read().split()[1])
                known = True
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9 if known else None


def own_since(wall_at: float, waited_at: float | None) -> float:
    """Wall seconds since `wall_at`, less what the process waited for a CPU since then."""
    elapsed = time.monotonic() - wall_at
    now = waited_for_cpu() if waited_at is not None else None
    return elapsed if now is None or waited_at is None else elapsed - max(0.0, now - waited_at)
