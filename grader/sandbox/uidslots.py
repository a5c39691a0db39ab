"""Dedicated unprivileged uids for sandboxed children when the grader runs as root.

Each grading in progress holds a slot: a uid (and gid of the same number) that no account on
the machine uses and no other grading holds at the same time, claimed with a lock file, so
that at the end "kill every process of this uid" kills exactly what this grading started (a
`setsid` daemon included) and RLIMIT_NPROC counts only its own processes. Never uid 65534:
`nobody` is shared with system services. Slots survive a crashed grader: whatever a uid left
running is killed when the slot is claimed next.

`GRADER_UID_BASE` moves the range (default 64200, 64 slots), e.g. where those uids exist.
"""
from __future__ import annotations

import fcntl
import os
import pwd
import grp
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

SLOTS = 64
_LOCK = threading.Lock()


def uid_base() -> int:
    try:
        return int(os.environ.get("GRADER_UID_BASE", "64200"))
    except ValueError:
        return 64200


@dataclass
class Slot:
    uid: int
    gid: int
    _fd: int

    def kill_all(self) -> None:
        kill_all_as(self.uid, self.gid)

    def release(self) -> None:
        """Kill what the uid still runs, remove what it left in shared temporary folders, mark
        the slot clean (the next claim need not kill again), free the slot."""
        self.kill_all()
        remove_files_of(self.uid)
        if self._fd >= 0:
            _mark(self._fd, CLEAN)
            os.close(self._fd)  # drops the lock
            self._fd = -1


def _unused(uid: int) -> bool:
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return False
        except KeyError:
            pass
    return True


def _lock_folder() -> Path | None:
    """A root-only folder for the slot locks (no other user may create or hold them)."""
    for folder in (Path("/run/grader-uid-slots"), Path(tempfile.gettempdir()) / "grader-uid-slots-0"):
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o022:
            return folder
    return None


def claim() -> Slot | None:
    """A free slot, or None when not root, no lock folder exists, or all slots are busy."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    folder = _lock_folder()
    if folder is None:
        return None
    base = uid_base()
    with _LOCK:
        for uid in range(base, base + SLOTS):
            if not _unused(uid):
                continue
            fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            slot = Slot(uid, uid, fd)
            if os.pread(fd, len(CLEAN) + 1, 0) != CLEAN:
                slot.kill_all()  # whatever a crashed grading (or a grader of an older version) left
            _mark(fd, b"in use")  # a holder that dies without release() leaves it so
            return slot
    return None


CLEAN = b"released clean"  # the lock file's word that the last holder killed everything of the uid


def _mark(fd: int, word: bytes) -> None:
    """Write what the slot's lock file says about its uid (only root may write the file)."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, word, 0)


def kill_all_as(uid: int, gid: int) -> None:
    """kill(-1, SIGKILL) as `uid`: every process of that uid, in every PID namespace, except
    the killer itself (`kill -9 -1`, as procps and util-linux both spell it). Run twice: a fork
    racing the first pass dies in the second; then whatever /proc still shows of the uid."""
    kill = shutil.which("kill", path="/usr/bin:/bin")
    for _ in range(2):
        if kill is None:
            break
        try:
            subprocess.run([kill, "-9", "-1"], user=uid, group=gid, extra_groups=[],
                           capture_output=True, timeout=10, cwd="/")
        except (OSError, subprocess.SubprocessError):
            break
    _kill_by_proc(uid)


def _kill_by_proc(uid: int) -> None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def remove_files_of(uid: int) -> None:
    """Delete what `uid` left at the top of the machine's shared temporary folders."""
    for shared in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(shared))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
