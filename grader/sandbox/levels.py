"""Isolation levels: which this machine offers, which one grading uses, and which is enough for
what (README, "Isolation levels"). The strongest first: bubblewrap, uid, process."""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from grader.errors import GraderError
from grader.sandbox import bootcopy, jail, uidslots

PROBE_SECONDS = 120  # a capability probe (bwrap + Python starting) that ends, however loaded the
# machine, must not read as "not offered": the isolation level must not depend on the load


def _works(cmd: list[str], **kwargs: Any) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=PROBE_SECONDS, **kwargs).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


LEVELS = ("bubblewrap", "uid", "process")


def keeps_students_apart(level: str) -> bool:
    """True where one student's child sees neither another student's files nor the grader's
    state (rubric, outputs, cache): what grading a whole class on one machine needs."""
    return level == "bubblewrap"


def guards_the_grader(level: str) -> bool:
    """True where the child can neither write the grader's files nor outlive its grading:
    enough for one submission per machine (a Gradescope container)."""
    return level in ("bubblewrap", "uid")


def require_isolation(purpose: str, enough: Callable[[str], bool], allowed: bool) -> str:
    """The level, or a one-line refusal when it is too weak for `purpose` and the user did not
    pass --allow-weak-isolation."""
    level = isolation_level()
    if enough(level) or allowed:
        return level
    why = ("a student's program would run as your own user and could read or rewrite other "
           "students' files, the outputs and the cache" if level == "process" else
           "a student's program could read every file other users may read, classmates' included")
    raise GraderError(f"isolation level {level!r} is too weak for {purpose}: {why}; install "
                      "bubblewrap (./install.sh as root, or apt-get install bubblewrap), or pass "
                      "--allow-weak-isolation to grade anyway")


_WARMING: list[threading.Thread] = []


def warm() -> None:
    """Probe bubblewrap on a thread of its own, now; the level's first use waits for it.

    Why: the probe starts bubblewrap and Python (about 0.1 s, mostly waiting on those
    processes), which `grader check` can pay while it imports the engine, loads the rubric and
    audits the submission instead of before its first child."""
    if not _WARMING and not _bubblewrap_works.cache_info().currsize:
        # not a daemon: a command that ends early still waits for the probe, which then
        # removes its temporary folder and frees its uid slot
        thread = threading.Thread(target=_bubblewrap_works, name="grader-levels")
        _WARMING.append(thread)
        thread.start()


def _warmed() -> None:
    """Wait for `warm()`'s probe, if one was started."""
    while _WARMING:
        _WARMING.pop().join()


def available_levels() -> tuple[str, ...]:
    """The levels that work on this machine, strongest first ("process" always does): probed
    once per process."""
    _warmed()
    return _probed()


@functools.lru_cache(maxsize=1)
def _probed() -> tuple[str, ...]:
    """The levels that work on this machine, strongest first ("process" always does)."""
    levels = ["bubblewrap"] if _bubblewrap_works() else []
    if is_root() and shutil.which("setpriv"):
        with _probe_uid() as uid:
            if _runtime_reachable_as(uid):
                levels.append("uid")
    return tuple(levels + ["process"])


@contextlib.contextmanager
def _probe_uid() -> Iterator[int]:
    """The uid a probe runs as. As root, a slot's, held while the probe runs, so that no grading
    that starts meanwhile kills the probe with everything else of that uid."""
    slot = uidslots.claim() if is_root() else None
    try:
        yield slot.uid if slot else uidslots.uid_base()
    finally:
        if slot is not None:
            slot.release()


@functools.lru_cache(maxsize=1)
def _bubblewrap_works() -> bool:
    """bubblewrap (and, as root, setpriv) starts this Python here: the strongest level, and the
    only probe a grading needs when it works (the `uid` level's is for `grader doctor` and for
    machines without it)."""
    if not shutil.which("bwrap") or (is_root() and not shutil.which("setpriv")):
        return False
    with _probe_uid() as uid, tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        # the child's own interpreter and flags (grader.sandbox.box.child_python)
        probe = jail_command(Path(tmp), [], uid, 1 << 20) + [sys.executable, "-S", "-c", ""]
        return _works(probe, cwd="/")


def _runtime_reachable_as(uid: int) -> bool:
    """Without a private root the child's uid must reach the interpreter and its library on the
    host (not so for a pyenv under a 0700 /root): the same Python, with the same standard
    library, must start as that uid."""
    code = "import os, sys; print(repr((sys.version, sys.prefix, sys.base_prefix, os.__file__)))"
    try:
        done = subprocess.run(jail.drop_to(uid, uid) + [sys.executable, "-s", "-c", code],
                              capture_output=True, text=True, timeout=PROBE_SECONDS, cwd="/")
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == repr(
        (sys.version, sys.prefix, sys.base_prefix, os.__file__))


@functools.lru_cache(maxsize=1)
def isolation_level() -> str:
    """The strongest isolation this machine offers (README, "Isolation levels").

    bubblewrap: an allow-list root, size-capped /tmp, no network, own PID namespace; as root
    the child runs as a dedicated unprivileged uid, as a normal user in a user namespace.
    uid (root without namespaces, e.g. a Docker container): a dedicated unprivileged uid, no
    capabilities, RLIMIT_NPROC, everything that uid runs killed at the end.
    process: a plain child as the grader's own user; nothing keeps it from the grader's files.
    `GRADER_ISOLATION=uid` or `process` asks for a weaker level, e.g. for debugging; a level
    that was asked for and does not work here is an error, never a silent fallback to a weaker
    one (a child meant to run as an unprivileged uid must not run as root instead).
    """
    wanted = os.environ.get("GRADER_ISOLATION", "").strip()
    wanted = "uid" if wanted == "unshare-net" else wanted
    if not wanted:
        _warmed()
        return "bubblewrap" if _bubblewrap_works() else available_levels()[0]
    levels = available_levels()
    if wanted not in LEVELS:
        raise GraderError(f"GRADER_ISOLATION={wanted!r} is not an isolation level; use one of "
                          f"{', '.join(LEVELS)}, or unset it for the strongest this machine offers")
    if wanted not in levels:
        raise GraderError(f"GRADER_ISOLATION={wanted}: this machine does not offer that level (it "
                          f"offers {', '.join(levels)}); unset GRADER_ISOLATION or pick one of those")
    return wanted


@functools.lru_cache(maxsize=1)
def unshare_net() -> bool:
    """A private network namespace for the `uid` level, where the kernel allows one."""
    return bool(shutil.which("unshare")) and is_root() and _works(["unshare", "--net", "true"])


def jail_command(tmp: Path, files: list[Path], uid: int, disk_bytes: int,
                  filtered: bool = False, writable: list[Path] | None = None) -> list[str]:
    """bubblewrap and (as root) setpriv, up to the child's own command."""
    etc = tmp / "etc"
    etc.mkdir(exist_ok=True)
    root = is_root()
    gid = uid if root else os.getgid()
    args = jail.bwrap_args(as_root=root, boot=bootcopy.shared(), files=files,
                           etc=jail.passwd_files(etc, uid, gid), disk_bytes=disk_bytes,
                           filtered=filtered, writable=writable or [])
    return args + (jail.drop_to(uid, gid) if root else [])
