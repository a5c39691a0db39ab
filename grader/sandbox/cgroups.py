"""A cgroup per sandboxed child: caps its tasks (processes and threads) and kills them all.

RLIMIT_NPROC does not bind root, and counts every process of a uid, so a fork bomb in a root
CI job would exhaust the machine; a pids cgroup binds everyone and counts only this child. And
a process group does not hold a `setsid` daemon, while a cgroup does: at the end every task in
it is killed (`cgroup.kill` on cgroup v2, else each listed task, again until none is left).

Whichever hierarchy the machine has is used: cgroup v2 (`/sys/fs/cgroup`, or the `unified`
mount of a hybrid system) and the cgroup v1 `pids` controller. On a hybrid system (v1
controllers, v2 for tracking) v1 caps and v2 kills. Nothing is used where nothing is writable
(a normal user, most containers): the caller falls back to RLIMIT_NPROC and the PID namespace.
"""
from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _v2_root() -> Path | None:
    for candidate in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        if (candidate / "cgroup.controllers").exists() and os.access(candidate, os.W_OK):
            return candidate
    return None


def _v1_pids_root() -> Path | None:
    candidate = CGROUP_ROOT / "pids"
    if (candidate / "cgroup.procs").exists() and os.access(candidate, os.W_OK):
        return candidate
    return None


def describe() -> str:
    """What this machine offers, for the report: e.g. "pids cgroup v1, kill by cgroup v2"."""
    probe = TaskCgroup(1)
    try:
        return probe.describe()
    finally:
        probe.remove()


class TaskCgroup:
    """One child's cgroup(s); created empty, joined by the child before it starts anything."""

    def __init__(self, limit: int) -> None:
        self.folders: list[Path] = []
        self.capped_by = ""  # "v2" or "v1" when pids.max is in force
        self.killer: Path | None = None  # a v2 folder with cgroup.kill
        self.v2_folder: Path | None = None  # its cgroup v2 folder (cpu.stat, cpu.pressure)
        name = f"grader-{os.getpid()}-{secrets.token_hex(4)}"
        v2 = _v2_root()
        v1 = _v1_pids_root()
        for root in (v2, v1):
            if root is not None:
                _remove_stale(root)
        if v2 is not None:
            folder = self._make(v2 / name)
            if folder is not None:
                self.v2_folder = folder
                if "pids" in _read(v2 / "cgroup.subtree_control").split() and _write(folder / "pids.max", str(limit)):
                    self.capped_by = "v2"
                if (folder / "cgroup.kill").exists():
                    self.killer = folder
        if not self.capped_by and v1 is not None:
            folder = self._make(v1 / name)
            if folder is not None and _write(folder / "pids.max", str(limit)):
                self.capped_by = "v1"

    def _make(self, folder: Path) -> Path | None:
        try:
            folder.mkdir()
        except OSError:
            return None
        self.folders.append(folder)
        return folder

    def describe(self) -> str:
        parts = []
        if self.capped_by:
            parts.append(f"pids cgroup {self.capped_by}")
        if self.killer is not None:
            parts.append("cgroup.kill")
        return ", ".join(parts)

    def wrap(self, command: list[str]) -> list[str]:
        """Join every cgroup first, then exec the command: nothing escapes by forking early."""
        if not self.folders:
            return command
        joins = " && ".join(f'echo $$ > "{folder / "cgroup.procs"}"' for folder in self.folders)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh"] + command

    def kill_all(self) -> None:
        """SIGKILL every task in the cgroup(s), forks racing the kill included."""
        if self.killer is not None and _write(self.killer / "cgroup.kill", "1"):
            self._wait_empty(self.killer)
        for folder in self.folders:
            for _ in range(100):
                pids = [int(p) for p in _read(folder / "cgroup.procs").split()]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)

    @staticmethod
    def _wait_empty(folder: Path) -> None:
        for _ in range(200):
            if not _read(folder / "cgroup.procs").split():
                return
            time.sleep(0.005)

    def remove(self) -> None:
        for folder in self.folders:
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.folders = []


def _remove_stale(root: Path) -> None:
    """Remove the empty cgroups of graders that are gone (one that ended while a killed task
    was still exiting could not remove its own)."""
    try:
        folders = [f for f in root.iterdir() if f.name.startswith("grader-")]
    except OSError:
        return
    for folder in folders:
        owner = folder.name.split("-")[1]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            try:
                folder.rmdir()  # fails, harmlessly, while any task is still in it
            except OSError:
                pass


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text)
        return True
    except OSError:
        return False
