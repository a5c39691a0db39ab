"""Run probes against one submission in a separate, limited child process.

Everything the student wrote runs here and only here, at the strongest isolation level the
machine offers (see `isolation_level`): its own copy of the submission, an environment of our
making, resource limits, its own process group and, where possible, its own root file system,
uid, PID and network namespaces and cgroup. A probe that hangs or kills the child costs only
that probe: the child is restarted for the probes still to run, within the submission's overall
time budget. When a child ends, everything it started is killed (cgroup, PID namespace, or every
process of its dedicated uid), before the grader looks at the result or writes anything.
"""
from __future__ import annotations

import ctypes
import functools
import math
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.events import probe_begins
from grader.errors import GraderError
from grader.files import read_regular
from grader.owntime import Limit, OwnClock, Sample, cgroup_sampler, proc_sampler
from grader.probing import arrived
from grader.protocol import Crashed, ImportFailure, Job, ProbeRequest, ProbeResult
from grader.sandbox import bootcopy, jail, seccomp, uidslots
from grader.sandbox.cgroups import TaskCgroup
from grader.sandbox.channel import CHANNEL_TAMPERED, FrameReader
from grader.sandbox.limits import Limits

MAX_SIBLING_FILES = 20  # helper modules a student may split their work into
MAX_SIBLING_BYTES = 200_000
MAX_MAIN_BYTES = 1_000_000
MAX_COMPANION_FILES = 20  # data files a program reads (urls.txt) next to it
MAX_COMPANION_BYTES = 1_000_000
STUCK = ("deadlocked: every thread was left waiting (for a lock, a join, an event or a queue) on "
         "something no thread could ever release, so it would never finish")
DONE_GRACE = 1.0  # seconds to flush output after "done", should a daemon hold the pipes open


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
    # fired before the child used its own time, grader/owntime.py): the grader's error, regraded.
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


PROBE_SECONDS = 120  # a capability probe (bwrap + Python starting) that ends, however loaded the
# machine, must not read as "not offered": the isolation level must not depend on the load


def _works(cmd: list[str], **kwargs: Any) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=PROBE_SECONDS, **kwargs).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _is_root() -> bool:
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


@functools.lru_cache(maxsize=1)
def available_levels() -> tuple[str, ...]:
    """The levels that work on this machine, strongest first ("process" always does).

    As root the probes run as a slot's uid while holding the slot, so that no grading that
    starts meanwhile kills them with everything else of that uid."""
    levels = []
    root = _is_root()
    slot = uidslots.claim() if root else None
    uid = slot.uid if slot else uidslots.uid_base()
    try:
        if shutil.which("bwrap") and (shutil.which("setpriv") or not root):
            with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
                probe = _jail_command(Path(tmp), [], uid, 1 << 20) + [sys.executable, "-s", "-c", ""]
                if _works(probe, cwd="/"):
                    levels.append("bubblewrap")
        if root and shutil.which("setpriv") and _runtime_reachable_as(uid):
            levels.append("uid")
    finally:
        if slot is not None:
            slot.release()
    return tuple(levels + ["process"])


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
    levels = available_levels()
    if not wanted:
        return levels[0]
    if wanted not in LEVELS:
        raise GraderError(f"GRADER_ISOLATION={wanted!r} is not an isolation level; use one of "
                          f"{', '.join(LEVELS)}, or unset it for the strongest this machine offers")
    if wanted not in levels:
        raise GraderError(f"GRADER_ISOLATION={wanted}: this machine does not offer that level (it "
                          f"offers {', '.join(levels)}); unset GRADER_ISOLATION or pick one of those")
    return wanted


@functools.lru_cache(maxsize=1)
def _unshare_net() -> bool:
    """A private network namespace for the `uid` level, where the kernel allows one."""
    return bool(shutil.which("unshare")) and _is_root() and _works(["unshare", "--net", "true"])


def _jail_command(tmp: Path, files: list[Path], uid: int, disk_bytes: int,
                  filtered: bool = False, writable: list[Path] | None = None) -> list[str]:
    """bubblewrap and (as root) setpriv, up to the child's own command."""
    etc = tmp / "etc"
    etc.mkdir(exist_ok=True)
    root = _is_root()
    gid = uid if root else os.getgid()
    args = jail.bwrap_args(as_root=root, boot=bootcopy.template(), files=files,
                           etc=jail.passwd_files(etc, uid, gid), disk_bytes=disk_bytes,
                           filtered=filtered, writable=writable or [])
    return args + (jail.drop_to(uid, gid) if root else [])


def crash(kind: str, message: str) -> ProbeResult:
    """A probe the sandbox saw end without a result (timeout, exit, budget, a bad frame)."""
    return ProbeResult(Crashed.stopped(kind, message))


class _Output:
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


def _copy_submission(path: Path, target: Path) -> tuple[list[Path], list[Path]]:
    """Copy the submission, its sibling `.py` helpers and its companion data files into
    `target`, regular files only; returns (code files, companions).

    The main file is the one the grader was asked to grade, so a link there is followed; a
    sibling must be a regular file of its own. Code is read-only to the child; companions
    (`urls.txt`, a CSV of pages) stay writable, as programs may save into them."""
    code = []
    main = read_regular(path.resolve(), MAX_MAIN_BYTES)
    if main is not None:
        (target / path.name).write_bytes(main)
        code.append(target / path.name)
    siblings = [p for p in sorted(path.parent.glob("*.py")) if p.name != path.name]
    for sibling in siblings[:MAX_SIBLING_FILES]:
        data = read_regular(sibling, MAX_SIBLING_BYTES)
        if data is not None:
            (target / sibling.name).write_bytes(data)
            code.append(target / sibling.name)
    for copy in code:
        os.chmod(copy, 0o444)
    return code, _copy_companions(path.parent, target)


def _copy_companions(folder: Path, target: Path) -> list[Path]:
    """The submission's non-Python files (`urls.txt`, a CSV of pages) as writable copies in the
    working folder: programs read their input from there and save what they download there.
    Only regular files of the submission's own folder, small and few (a batch stages each
    student in a folder of their own, so no other student's file is ever among them)."""
    companions = [p for p in sorted(folder.iterdir()) if p.suffix.lower() != ".py"
                  and not p.name.startswith(".") and not p.is_symlink() and p.is_file()]
    copies = []
    for companion in companions[:MAX_COMPANION_FILES]:
        data = read_regular(companion, MAX_COMPANION_BYTES)
        if data is not None:
            (target / companion.name).write_bytes(data)
            copies.append(target / companion.name)
    return copies


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _child_env(home: str, tmp: str, boot: str, run_id: str) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2", "TMPDIR": tmp, "PYTHONPATH": boot,
            "GRADER_SANDBOX_RUN": run_id}


class _Reaper:
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
                _Reaper.reap(pid)
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


@dataclass
class _Setup:
    """How children of one submission start: the command and what the child sees."""

    level: str
    command: list[str]  # up to and including `--`; the child's own command follows
    cwd: str
    workdir: str  # the working folder, as the child sees it
    tmp: str
    boot: str
    slot: uidslots.Slot | None
    uid: int
    seccomp: bytes | None = None

    @property
    def isolation(self) -> str:
        return f"{self.level}, uid {self.uid}"


def _setup(level: str, tmp: Path, submission_path: Path, limits: Limits) -> _Setup:
    """Copy the submission and decide how its children start, at `level`."""
    root = _is_root()
    slot = uidslots.claim() if root and level in ("bubblewrap", "uid") else None
    if root and level in ("bubblewrap", "uid") and slot is None:
        raise RuntimeError("no free sandbox uid (64 gradings at once, or the uid range is taken; "
                           "set GRADER_UID_BASE)")
    uid = slot.uid if slot else os.getuid()
    box = tmp / "box"  # the working folder's parent: probes make private folders beside it
    source = box / "work"
    source.mkdir(parents=True)
    os.chmod(box, 0o755)
    os.chmod(source, 0o755)
    files, companions = _copy_submission(submission_path, source)
    for companion in companions:
        os.chmod(companion, 0o644)
        if slot is not None:
            os.chown(companion, slot.uid, slot.gid)  # writable by the child (RLIMIT_FSIZE caps it)
    disk = limits.disk_mb * 1024 * 1024
    if level == "bubblewrap":
        rules = seccomp.no_user_namespaces()
        command = _jail_command(tmp, files, uid, disk, filtered=rules is not None, writable=companions)
        return _Setup(level, command, "/", jail.WORK, "/tmp", jail.BOOT, slot, uid, rules)
    # Without a private root the working folder is the copy itself: the run's folder is
    # reachable by the child's uid only, the folder sticky (the child adds files but cannot
    # replace the submission's), the boot copy not writable by the child.
    if slot is not None:
        os.chown(tmp, 0, slot.gid)
        os.chmod(tmp, 0o710)
        os.chmod(box, 0o1777)
        os.chmod(source, 0o1777)
        boot = bootcopy.template()
        command = (["unshare", "--net", "--"] if _unshare_net() else []) + jail.drop_to(slot.uid, slot.gid)
    else:
        boot = bootcopy.intact()  # the child could edit it: checked again before every child
        command = []
        _Reaper.install()
    return _Setup(level, command, str(source), str(source), str(source), str(boot), slot, uid)


def run(submission_path: Path, style: str, entry_points: dict[str, str], runs: list[ProbeRun],
        seed: int, limits: Limits) -> SandboxResult:
    """Run every probe in `runs`; each gets an observation or a crash record saying why not."""
    level = isolation_level()
    result = SandboxResult(isolation=level)
    started = time.monotonic()
    clock = OwnClock()
    total = Limit(clock, limits.submission_seconds)  # own time: see grader/owntime.py
    stdout, stderr = _Output(limits.output_kb * 1024), _Output(limits.output_kb * 1024)
    remaining = list(runs)
    timings = result.timings
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        setup = _setup(level, Path(tmp), submission_path, limits)
        result.isolation = setup.isolation
        timings.setup = time.monotonic() - started
        try:
            first = True
            while first or remaining:
                first = False
                outcome = _one_child(result, remaining, setup, submission_path.name, style,
                                     entry_points, seed, limits, total, stdout, stderr)
                if outcome == "stop":
                    break
        finally:
            ended = time.monotonic()
            if setup.slot is not None:
                setup.slot.release()
        busy = total.state() == "busy"
        for left in remaining:
            if busy and left.key not in result.observations:
                result.busy.add(left.key)
                result.observations[left.key] = crash("busy", _busy_text(total, "the submission's checks"))
            result.observations.setdefault(
                left.key, crash("budget", "not run: the submission used up its time budget "
                                          f"of {limits.submission_seconds:g} s"))
    timings.cleanup += time.monotonic() - ended
    result.stdout, result.stderr = stdout.text(), stderr.text()
    result.seconds = time.monotonic() - started
    return result


def _one_child(result: SandboxResult, remaining: list[ProbeRun], setup: _Setup,
               filename: str, style: str, entry_points: dict[str, str], seed: int, limits: Limits,
               total: Limit, stdout: _Output, stderr: _Output) -> str:
    """Start a child for the probes in `remaining`; return "stop" when no restart can help.
    Every limit is counted in the child's own time (grader/owntime.py), so that no verdict
    depends on how busy the machine is."""
    if total.state() != "running":
        return "stop"
    token = secrets.token_hex(16)
    run_id = secrets.token_hex(8)
    read_fd, write_fd = os.pipe()
    fds = [write_fd]
    command = list(setup.command)
    if setup.seccomp is not None:
        filter_read, filter_write = os.pipe()
        os.write(filter_write, setup.seccomp)
        os.close(filter_write)
        fds.append(filter_read)
        command[command.index("--remount-ro"):command.index("--remount-ro")] = ["--seccomp", str(filter_read)]
    if setup.level == "process":
        setup.boot = str(bootcopy.intact())
    python = [sys.executable, "-s"] + (["-P"] if sys.version_info >= (3, 11) else [])
    command += python + ["-m", "grader.child"]
    env = _child_env(setup.workdir, setup.tmp, setup.boot, run_id)
    job = Job(token, write_fd, setup.workdir, filename, style, entry_points, seed,
              dict(limits.__dict__), tuple(remaining))
    tasks = TaskCgroup(limits.processes)
    timings = result.timings
    timings.children += 1
    spawned = ready_at = began = time.monotonic()
    try:
        proc = subprocess.Popen(tasks.wrap(command), cwd=setup.cwd, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=tuple(fds), start_new_session=True)
    except BaseException:
        tasks.remove()
        raise
    finally:
        for fd in fds:
            os.close(fd)
    assert proc.stdin and proc.stdout and proc.stderr
    total.clock.attach(_sampler(tasks, proc.pid))
    try:
        proc.stdin.write(job.encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    reader = FrameReader(token)
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, "result")
    selector.register(proc.stdout, selectors.EVENT_READ, stdout)
    selector.register(proc.stderr, selectors.EVENT_READ, stderr)
    imported = ready = False
    current: ProbeRun | None = None
    phase = Limit(total.clock, limits.import_seconds)
    grace_end = math.inf  # wall time: after "done", output still flushing is waited for this long
    by_key = {r.key: r for r in remaining}
    outcome = "restart"
    finished = False  # the child said "done": whatever still holds its pipes is not waited for
    findings = 0  # audit frames received from this child (the "done" frame says how many were sent)
    try:
        while True:
            state, whole = phase.state(), total.state()
            if finished and (state != "running" or time.monotonic() >= grace_end):
                break
            if not finished and (state != "running" or whole != "running"):
                busy = "busy" in (state, whole) and "expired" not in (state, whole)
                if not imported and busy:
                    result.import_error = _busy_text(phase if state == "busy" else total,
                                                     f"importing {filename}")
                    result.grader_fault = result.busy_import = True
                    return "stop"
                if not imported:
                    result.import_failure = ImportFailure.TIMEOUT
                    result.import_error = (f"{filename}: importing your module did not finish within "
                                           f"{limits.import_seconds:g} s (infinite loop or blocking "
                                           "code at top level?); move that code under "
                                           "`if __name__ == \"__main__\":`")
                    return "stop"
                if current is not None and busy:
                    result.busy.add(current.key)
                    result.observations[current.key] = crash(
                        "busy", _busy_text(phase if state == "busy" else total, "this check"))
                    remaining.remove(current)
                elif current is not None:
                    what = (f"timed out after {current.timeout:g} s (infinite loop, deadlock, or "
                            "a thread that never finishes?)")
                    if whole == "expired":
                        what = f"stopped: the submission's total time limit of {limits.submission_seconds:g} s ran out"
                    result.observations[current.key] = crash("timeout", what)
                    remaining.remove(current)
                elif not remaining and not busy:
                    _flag(result, "delivered its results, never sent its end-of-run message "
                                        "and was stopped")
                return "restart" if total.state() == "running" else "stop"
            wait = min(phase.wait(), total.wait())
            if finished:
                wait = min(wait, max(0.0, grace_end - time.monotonic()))
            events = selector.select(wait)
            eof = False
            for key, _ in events:
                chunk = os.read(key.fd, 65536)
                if key.data == "result":
                    if not chunk:
                        eof = True
                        continue
                    for frame in reader.feed(chunk):
                        kind = frame.get("type")
                        if kind == "ready":
                            ready = True
                            ready_at = time.monotonic()
                            timings.start += ready_at - spawned
                        elif kind == "import":
                            imported = True
                            timings.submission_import += time.monotonic() - ready_at
                            if not frame.get("ok"):
                                from grader.probing import exc_text
                                result.import_failure = ImportFailure.RAISED
                                result.import_error = (f"{filename}: importing your module raised "
                                                       f"{exc_text(frame['error'])}")
                                outcome = "stop"
                        elif kind == "begin" and by_key.get(frame["key"]) in remaining:
                            current = by_key[frame["key"]]
                            probe_begins(current.key)
                            began = time.monotonic()
                            phase = Limit(total.clock, current.timeout)
                        elif kind == "result" and current in remaining and frame["key"] == current.key:
                            result.observations[current.key] = arrived(current.probe, frame["result"])
                            remaining.remove(current)
                            timings.probes[current.key] = time.monotonic() - began
                            current = None
                        elif kind == "stuck" and current in remaining and frame["key"] == current.key:
                            # Stopped now rather than at the check's time limit: the same verdict.
                            result.observations[current.key] = crash("timeout", STUCK)
                            remaining.remove(current)
                            return "restart" if total.state() == "running" else "stop"
                        elif kind == "audit":
                            findings += 1
                            if len(result.audit) < 200:
                                result.audit.append(frame["finding"])
                        elif kind == "done":
                            if frame["audit"] != findings:
                                _flag(result, f"its audit hook sent {frame['audit']} finding(s) and "
                                              f"the grader received {findings}")
                            outcome = "stop" if not remaining else "restart"
                            finished = True
                            grace_end = time.monotonic() + DONE_GRACE
                elif chunk:
                    key.data.add(chunk)
                else:
                    selector.unregister(key.fileobj)
            if eof:
                break
        # The result pipe closed: the child is gone (or closed it on purpose).
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code == CHANNEL_TAMPERED and not finished:
            _flag(result, "the audit hook found the result channel replaced or closed (os.dup2 or "
                          "os.close on the grader's pipe) and ended the run")
        if outcome == "stop" and result.import_error:
            return "stop"
        if not ready:
            tail = stderr.text().strip().splitlines()[-1:] or ["no output"]
            result.import_error = (f"internal error: the grader's sandbox did not start ({_exit_text(code)}: "
                                   f"{tail[0][:200]}); please report this to your instructor")
            result.import_failure = ImportFailure.SANDBOX
            result.grader_fault = True
            return "stop"
        if not imported:
            result.import_failure = ImportFailure.EXITED
            result.import_error = (f"{filename}: your program exited while being imported "
                                   f"({_exit_text(code)}); do not call exit() at top level")
            return "stop"
        if current is not None:
            result.observations[current.key] = crash(
                "exit", f"your program exited during this check ({_exit_text(code)})")
            remaining.remove(current)
        elif not finished and not remaining and code != CHANNEL_TAMPERED:
            _flag(result, f"ended ({_exit_text(code)}) without its end-of-run message")
        return outcome if not remaining else "restart"
    finally:
        ending = time.monotonic()
        if current is not None:  # a probe that hung or ended the child: its time too
            timings.probes.setdefault(current.key, ending - began)
        result.forged_frames += reader.forged
        _drain(selector, stdout, stderr)
        selector.close()
        os.close(read_fd)
        _kill(proc)
        _end_everything(setup, tasks, run_id)
        timings.cleanup += time.monotonic() - ending


def _sampler(tasks: TaskCgroup, pid: int) -> Callable[[], Sample] | None:
    """How the child's own time is read: its cgroup's CPU pressure where there is one, else
    the CPU time of its processes, else (None) wall time."""
    folder = tasks.v2_folder
    return (cgroup_sampler(folder) if folder is not None else None) or proc_sampler(pid)


def _busy_text(limit: Limit, what: str) -> str:
    return (f"the grading machine was too busy to finish {what}: {limit.wall_used():.0f} s of wall "
            f"time passed while the program had used {limit.used():.1f} s of its own "
            f"(limit {limit.seconds:g} s); this is the grader's problem, not yours: regrade")


def _flag(result: SandboxResult, what: str) -> None:
    """What the grader saw of the channel, as a review reason. A child that delivered its
    results and never said "done" is not a clean run: a forger who silenced the audit hook
    would rather not send the count of its findings."""
    text = f"the sandboxed run: {what}, so its results cannot be vouched for"
    if text not in result.integrity:
        result.integrity.append(text)


def _end_everything(setup: _Setup, tasks: TaskCgroup, run_id: str) -> None:
    """Kill whatever the child started that outlived it (a daemon in its own session, a forked
    process that ignored the process group's SIGKILL by leaving the group), at every level."""
    tasks.kill_all()
    if setup.slot is not None:
        setup.slot.kill_all()
    elif setup.level == "process":
        _Reaper.kill_marked(run_id)
    tasks.remove()


def _drain(selector: selectors.BaseSelector, stdout: _Output, stderr: _Output) -> None:
    for key in list(selector.get_map().values()):
        if key.data in (stdout, stderr):
            try:
                os.set_blocking(key.fd, False)
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.add(chunk)
            except (BlockingIOError, OSError):
                pass


def _exit_text(code: int | None) -> str:
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
