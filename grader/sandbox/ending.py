"""Every way a child of the sandbox ends, in one place: nothing the child started may outlive
its grading (a daemon in a session of its own, a fork that left the process group), and every
child ended before it finished is ended for a reason the grader can name.

How its processes are ended, after every child, at every level (`end_everything`):
- its process group: SIGKILL to the group the child leads (`kill_group`); under bubblewrap
  that is bubblewrap itself, whose death ends the child's PID namespace (`--die-with-parent`,
  `--unshare-pid`) and everything in it;
- its cgroup: `cgroup.kill`, or SIGKILL to each task it lists (`TaskCgroup.kill_all`);
- its uid: as root, every process of the slot's dedicated uid (`Slot.kill_all`);
- the subreaper's marked descendants: as the grader's own user without namespaces, the
  processes that carry the run's mark in their environment (`Reaper.kill_marked`).

Why a child is ended early (the watchdogs' ends), each with the text its probe is judged by:
- the child's deadlock watchdog (grader/sandbox/stuck.py) said every thread waits for good
  (`deadlocked`, judged as the check's time-out);
- an own-time limit ran out (grader/sandbox/owntime.py): the import's, the probe's, or the
  submission's whole (`Cut`, `probe_cut`, `import_timeout`);
- the wall backstop fired first: the machine was too busy, the grader's error (`busy_text`).

(The child's own ends stay on its side, in the boot copy: it dies with its parent
(PR_SET_PDEATHSIG, grader/sandbox/child.py), exits once its probes are done whatever threads remain,
and ends itself when its result channel is replaced (grader/sandbox/channel.py).)
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grader.probes.protocol import ProbeResult
from grader.sandbox import uidslots
from grader.sandbox.cgroups import TaskCgroup
from grader.sandbox.owntime import Limit
from grader.sandbox.records import crash

STUCK = ("deadlocked: every thread was left waiting (for a lock, a join, an event or a queue) on "
         "something no thread could ever release, so it would never finish")


# -- ending the processes ---------------------------------------------------------------------

def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (under bubblewrap: bubblewrap's, and with it the
    child's PID namespace), then collect the child."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


class Reaper:
    """Where the child runs as the grader's own user without a PID namespace (`process`), the
    grader is the child subreaper: a `setsid` daemon that leaves the child's process group is
    re-parented to the grader, which finds it by the run's mark in its environment and kills it."""

    _lock = threading.Lock()
    _installed = False

    @classmethod
    def install(cls) -> None:
        with cls._lock:
            if not cls._installed:
                try:
                    ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
                except (OSError, AttributeError):
                    pass
                cls._installed = True

    @staticmethod
    def kill_marked(run_id: str) -> None:
        mark = f"GRADER_SANDBOX_RUN={run_id}".encode()
        for _ in range(20):
            found = []
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    if mark in (entry / "environ").read_bytes().split(b"\0"):
                        found.append(int(entry.name))
                except OSError:
                    continue
            if not found:
                return
            for pid in found:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for pid in found:
                Reaper.reap(pid)
            time.sleep(0.01)

    @staticmethod
    def reap(pid: int) -> None:
        """Collect a killed orphan re-parented to the grader, so no zombie is left behind."""
        for _ in range(50):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            except ChildProcessError:  # not ours: its own parent collects it
                return
            time.sleep(0.01)


def end_everything(level: str, slot: uidslots.Slot | None, tasks: TaskCgroup, run_id: str) -> None:
    """Kill whatever the child started that outlived it (a daemon in its own session, a forked
    process that ignored the process group's SIGKILL by leaving the group), at every level."""
    tasks.kill_all()
    if slot is not None:
        slot.kill_all()
    elif level == "process":
        Reaper.kill_marked(run_id)
    tasks.remove()


# -- why a child is ended early: its watchdogs ------------------------------------------------

def deadlocked() -> ProbeResult:
    """The child's deadlock watchdog saw every thread wait for good: stopped now rather than at
    the check's time limit, with the same verdict."""
    return crash("timeout", STUCK)


@dataclass(frozen=True)
class Cut:
    """A limit ran out before the child finished: whose doing, and which limit to quote."""

    busy: bool  # a wall backstop fired and no own-time limit expired: the machine's doing
    whole: bool  # the submission's total own time ran out (not only the import's or probe's)
    backstop: Limit  # the limit whose backstop a "too busy" text quotes

    @staticmethod
    def of(state: str, whole: str, phase: Limit, total: Limit) -> Cut:
        """From the states of the phase's limit (the import's or the probe's) and the total's."""
        busy = "busy" in (state, whole) and "expired" not in (state, whole)
        return Cut(busy, whole == "expired", phase if state == "busy" else total)


def probe_cut(cut: Cut, timeout: float, submission_seconds: float) -> ProbeResult:
    """The crash record of a probe its limit (or the machine) ended."""
    if cut.busy:
        return crash("busy", busy_text(cut.backstop, "this check"))
    if cut.whole:
        return crash("timeout", "stopped: the submission's total time limit of "
                                f"{submission_seconds:g} s ran out")
    return crash("timeout", f"timed out after {timeout:g} s (infinite loop, deadlock, or a thread "
                            "that never finishes?)")


def import_timeout(filename: str, seconds: float) -> str:
    """The import error of a submission whose top level did not finish within its limit."""
    return (f"{filename}: importing your module did not finish within {seconds:g} s (infinite "
            "loop or blocking code at top level?); move that code under "
            "`if __name__ == \"__main__\":`")


def busy_text(limit: Limit, what: str) -> str:
    return (f"the grading machine was too busy to finish {what}: {limit.wall_used():.0f} s of wall "
            f"time passed while the program had used {limit.used():.1f} s of its own "
            f"(limit {limit.seconds:g} s); this is the grader's problem, not yours: regrade")
