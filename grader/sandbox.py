"""Run probes against one submission in a separate, limited child process.

Everything the student wrote runs here and only here: a fresh temporary folder holding a copy of
the submission, an environment of our making, resource limits, its own process group (a
timeout kills every thread and process it started), no network where a namespace is available.
A probe that hangs or kills the child costs only that probe: the child is restarted for the
probes still to run, within the submission's overall time budget.
"""
from __future__ import annotations

import functools
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.channel import FrameReader
from grader.rubric import Limits

MAX_SIBLING_FILES = 20  # helper modules a student may split their work into
MAX_SIBLING_BYTES = 200_000
MAX_COMPANION_FILES = 20  # data files a program reads (urls.txt) next to it
MAX_COMPANION_BYTES = 1_000_000


@dataclass(frozen=True)
class ProbeRun:
    key: str
    probe: str
    params: dict[str, Any]
    timeout: float


@dataclass
class SandboxResult:
    observations: dict[str, dict[str, Any]] = field(default_factory=dict)
    import_error: str | None = None
    stdout: str = ""
    stderr: str = ""
    isolation: str = "process"
    forged_frames: int = 0
    seconds: float = 0.0
    audit: list[dict[str, Any]] = field(default_factory=list)  # the child's audit hook findings


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=1)
def isolation_level() -> str:
    """The strongest isolation this machine offers.

    bubblewrap: read-only system, private /tmp, no network, own PID namespace, the grader's
    tree and the submission's folder hidden; else a private network namespace (root only);
    else a plain child process (the in-process socket guard still refuses connections).
    `GRADER_ISOLATION=process` (or `unshare-net`) asks for a weaker level, e.g. for debugging.
    """
    wanted = os.environ.get("GRADER_ISOLATION", "")
    if wanted not in ("process", "unshare-net") and shutil.which("bwrap") and _works(
            ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
             "--die-with-parent", "--new-session", "true"]):
        return "bubblewrap"
    if wanted != "process" and shutil.which("unshare") and hasattr(os, "geteuid") and os.geteuid() == 0:
        try:
            done = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=5)
            if done.returncode == 0:
                return "unshare-net"
        except (OSError, subprocess.SubprocessError):
            pass
    return "process"


PIDS_ROOT = Path("/sys/fs/cgroup/pids")


class PidsCgroup:
    """A pids cgroup capping the tasks (processes and threads) of one child.

    RLIMIT_NPROC does not bind root, so a fork bomb in a root CI job would exhaust the whole
    machine; a cgroup binds everyone. Used where the cgroup v1 pids controller is writable.
    """

    def __init__(self, limit: int) -> None:
        self.path: Path | None = None
        if not os.access(PIDS_ROOT, os.W_OK):
            return
        try:
            path = PIDS_ROOT / f"grader-{os.getpid()}-{secrets.token_hex(4)}"
            path.mkdir()
            (path / "pids.max").write_text(str(limit))
            self.path = path
        except OSError:
            self.path = None

    def wrap(self, command: list[str]) -> list[str]:
        """Join the cgroup first, then exec the command: nothing escapes by forking early."""
        if self.path is None:
            return command
        procs = self.path / "cgroup.procs"
        return ["/bin/sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh"] + command

    def remove(self) -> None:
        if self.path is None:
            return
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


def crash(kind: str, message: str) -> dict[str, Any]:
    return {"__crash__": {"kind": kind, "type": kind, "message": message, "where": None}}


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


def _copy_submission(path: Path, workdir: Path) -> None:
    shutil.copy2(path, workdir / path.name)
    siblings = [p for p in sorted(path.parent.glob("*.py")) if p != path]
    for sibling in siblings[:MAX_SIBLING_FILES]:
        if sibling.stat().st_size <= MAX_SIBLING_BYTES:
            shutil.copy2(sibling, workdir / sibling.name)
    _copy_companions(path.parent, workdir)


def _copy_companions(folder: Path, workdir: Path) -> None:
    """The submission's non-Python files (`urls.txt`, a CSV of pages) as writable copies in the
    working folder: programs read their input from there and save what they download there.
    Only regular files of the submission's own folder, small and few (a batch stages each
    student in a folder of their own, so no other student's file is ever among them)."""
    companions = [p for p in sorted(folder.iterdir()) if p.suffix.lower() != ".py"
                  and not p.name.startswith(".") and not p.is_symlink() and p.is_file()]
    for companion in companions[:MAX_COMPANION_FILES]:
        if companion.stat().st_size <= MAX_COMPANION_BYTES:
            shutil.copyfile(companion, workdir / companion.name)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _child_env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2", "TMPDIR": str(home)}


def _hidden(submission_path: Path) -> list[Path]:
    """Folders the child must not see: the grader's tree (rubric, reference solutions, tests)
    and the folder the submission came from (other students' files in a batch)."""
    folders = {_package_dir().parent, submission_path.resolve().parent, Path.cwd()}
    system = {Path("/"), Path("/usr"), Path(sys.prefix), Path(sys.base_prefix), Path.home()}
    return sorted(f for f in folders if f not in system and not any(
        s != Path("/") and s.is_relative_to(f) for s in system))


def _command(tmp: Path, boot: Path, submission_path: Path) -> list[str]:
    cmd = [sys.executable, "-s"]
    if sys.version_info >= (3, 11):
        cmd.append("-P")  # never put the working folder on sys.path
    cmd += ["-m", "grader.child"]
    level = isolation_level()
    if level == "bubblewrap":
        wrap = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for folder in _hidden(submission_path):
            wrap += ["--tmpfs", str(folder)]
        for prefix in sorted({sys.prefix, sys.base_prefix}):  # a venv may live under /tmp
            wrap += ["--ro-bind", prefix, prefix]
        wrap += ["--bind", str(tmp), str(tmp), "--ro-bind", str(_package_dir()), str(boot / "grader"),
                 "--unshare-all", "--die-with-parent", "--new-session", "--"]
        return wrap + cmd
    if level == "unshare-net":
        return ["unshare", "--net", "--"] + cmd
    return cmd


def _package_dir() -> Path:
    return Path(__file__).resolve().parent


def run(submission_path: Path, style: str, entry_points: dict[str, str], runs: list[ProbeRun],
        seed: int, limits: Limits) -> SandboxResult:
    """Run every probe in `runs`; each gets an observation or a crash record saying why not."""
    result = SandboxResult(isolation=isolation_level())
    started = time.monotonic()
    deadline = started + limits.submission_seconds
    stdout, stderr = _Output(limits.output_kb * 1024), _Output(limits.output_kb * 1024)
    remaining = list(runs)
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        boot, workdir = Path(tmp, "boot"), Path(tmp, "work")
        boot.mkdir()
        workdir.mkdir()
        # The child sees the grader package and nothing else of the grader's tree (no rubric,
        # no reference solutions, no tests) on its import path.
        if isolation_level() == "bubblewrap":
            (boot / "grader").mkdir()  # the package is bind-mounted here, read-only
        else:
            (boot / "grader").symlink_to(_package_dir(), target_is_directory=True)
        _copy_submission(submission_path, workdir)
        first = True
        while first or remaining:
            first = False
            command = _command(Path(tmp), boot, submission_path)
            outcome = _one_child(result, remaining, command, boot, workdir, submission_path.name,
                                 style, entry_points, seed, limits, deadline, stdout, stderr)
            if outcome == "stop":
                break
        for left in remaining:
            result.observations.setdefault(
                left.key, crash("budget", "not run: the submission used up its time budget "
                                          f"of {limits.submission_seconds:g} s"))
    result.stdout, result.stderr = stdout.text(), stderr.text()
    result.seconds = time.monotonic() - started
    return result


def _one_child(result: SandboxResult, remaining: list[ProbeRun], command: list[str], boot: Path,
               workdir: Path,
               filename: str, style: str, entry_points: dict[str, str], seed: int, limits: Limits,
               deadline: float, stdout: _Output, stderr: _Output) -> str:
    """Start a child for the probes in `remaining`; return "stop" when no restart can help."""
    if time.monotonic() >= deadline:
        return "stop"
    token = secrets.token_hex(16)
    read_fd, write_fd = os.pipe()
    env = _child_env(workdir)
    env["PYTHONPATH"] = str(boot)
    job = {"token": token, "result_fd": write_fd, "workdir": str(workdir), "filename": filename,
           "style": style, "entry_points": entry_points, "seed": seed,
           "limits": limits.__dict__,
           "runs": [{"key": r.key, "probe": r.probe, "params": r.params} for r in remaining]}
    pids = PidsCgroup(limits.processes)
    try:
        proc = subprocess.Popen(pids.wrap(command), cwd=boot, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=(write_fd,), start_new_session=True)
    finally:
        os.close(write_fd)
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        proc.stdin.write(json.dumps(job).encode() + b"\n")
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
    phase_deadline = min(deadline, time.monotonic() + limits.import_seconds)
    by_key = {r.key: r for r in remaining}
    outcome = "restart"
    try:
        while True:
            timeout = phase_deadline - time.monotonic()
            if timeout <= 0:
                if not imported:
                    result.import_error = (f"{filename}: importing your module did not finish within "
                                           f"{limits.import_seconds:g} s (infinite loop or blocking "
                                           "code at top level?); move that code under "
                                           "`if __name__ == \"__main__\":`")
                    return "stop"
                if current is not None:
                    what = (f"timed out after {current.timeout:g} s (infinite loop, deadlock, or "
                            "a thread that never finishes?)")
                    if time.monotonic() >= deadline:
                        what = f"stopped: the submission's total time limit of {limits.submission_seconds:g} s ran out"
                    result.observations[current.key] = crash("timeout", what)
                    remaining.remove(current)
                return "restart" if time.monotonic() < deadline else "stop"
            events = selector.select(timeout)
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
                        elif kind == "import":
                            imported = True
                            if not frame.get("ok"):
                                from grader.probing import exc_text
                                result.import_error = (f"{filename}: importing your module raised "
                                                       f"{exc_text(frame['error'])}")
                                outcome = "stop"
                        elif kind == "begin" and by_key.get(frame["key"]) in remaining:
                            current = by_key[frame["key"]]
                            phase_deadline = min(deadline, time.monotonic() + current.timeout)
                        elif kind == "result" and current in remaining and frame["key"] == current.key:
                            obs = frame.get("obs")
                            result.observations[current.key] = obs if isinstance(obs, dict) else crash(
                                "protocol", "malformed observation")
                            remaining.remove(current)
                            current = None
                        elif kind == "audit":
                            result.audit.append(frame["finding"])
                        elif kind == "done":
                            outcome = "stop" if not remaining else "restart"
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
        if outcome == "stop" and result.import_error:
            return "stop"
        if not ready:
            tail = stderr.text().strip().splitlines()[-1:] or ["no output"]
            result.import_error = (f"internal error: the grader's sandbox did not start ({_exit_text(code)}: "
                                   f"{tail[0][:200]}); please report this to your instructor")
            return "stop"
        if not imported:
            result.import_error = (f"{filename}: your program exited while being imported "
                                   f"({_exit_text(code)}); do not call exit() at top level")
            return "stop"
        if current is not None:
            result.observations[current.key] = crash(
                "exit", f"your program exited during this check ({_exit_text(code)})")
            remaining.remove(current)
        return outcome if not remaining else "restart"
    finally:
        result.forged_frames += reader.forged
        _drain(selector, stdout, stderr)
        selector.close()
        os.close(read_fd)
        _kill(proc)
        pids.remove()


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
