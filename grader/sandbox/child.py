"""The sandboxed child: imports the submission and runs the probes the grader asks for.

Started by `grader.sandbox` as `python -s -m grader.sandbox.child` in an empty folder with an
environment of the grader's making. It reads one job (JSON) from stdin, answers over the private
result pipe, and never decides a verdict: it only reports what the student's code did.
"""
from __future__ import annotations

import builtins
import ctypes
import importlib.util
import io
import os
import random
import resource
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from grader.probes.probing import MissingEntryPoint, ProbeContext, describe
from grader.probes.protocol import (EXCEPTION, GRADER, MISSING, Crashed, Job, Observed, Outcome, ProbeResult,
                                    Tampered)
from grader.probes.registry import PROBES, import_settings, load_all
from grader.sandbox import audit_hook, channel, netguard, sitepaths, stuck


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _limit(which: int, value: int) -> None:
    try:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard if hard != resource.RLIM_INFINITY else value))
    except (ValueError, OSError):
        pass


def _apply_limits(limits: dict[str, Any]) -> None:
    mb = 1024 * 1024
    _limit(resource.RLIMIT_AS, int(limits["memory_mb"]) * mb)
    _limit(resource.RLIMIT_CPU, int(limits["cpu_seconds"]))
    _limit(resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * mb)
    _limit(resource.RLIMIT_NPROC, int(limits["processes"]))
    _limit(resource.RLIMIT_CORE, 0)
    # Small stacks let a correct bank start 100+ customer threads under the memory limit.
    threading.stack_size(1024 * 1024)


def _import(path: Path) -> Any:
    name = path.stem if path.stem.isidentifier() else "submission"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # The top level runs under a serial schedule with virtual time: a program's threads and
    # sleeps at import cost no real time, and one that never ends is stopped (grader/probes/preempt/runner).
    from grader.probes.preempt.runner import exec_quietly

    source = path.read_text(encoding="utf-8-sig")
    exec_quietly(compile(source, str(path), "exec", dont_inherit=True), module.__dict__, str(path), source)
    return module


# What the child's environment keeps, as a plain `python3 bank.py` would have it; the rest
# (the sandbox's mark, PYTHONPATH to the grader's boot copy, PYTHONHASHSEED, ...) only served
# the interpreter's start.
PLAIN_ENVIRONMENT = ("PATH", "HOME", "LANG", "TMPDIR")


def _plain_run_environment(filename: str) -> None:
    """What the student's code sees of how it was started matches a plain run: `sys.argv` is
    the file, and no variable of the grader's is in `os.environ`. They leave only Python's
    mapping, not the process's environment: programs the child starts keep the sandbox's mark,
    by which the grader finds and ends them."""
    sys.argv[:] = [filename]
    if hasattr(sys, "orig_argv"):
        sys.orig_argv[:] = [sys.executable, filename]
    import posix

    for mapping in (os.environ._data, posix.environ):  # type: ignore[attr-defined]
        for key in [k for k in mapping if k.decode("utf-8", "replace") not in PLAIN_ENVIRONMENT]:
            del mapping[key]


def _raised_in_grader(exc: BaseException) -> bool:
    """True when the innermost frame is the grader's own code, not the student's or a library's."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    package = str(Path(__file__).resolve().parent.parent)  # the grader package
    if not last:
        return False
    return str(Path(last).resolve()).startswith(package) and isinstance(exc, Exception) \
        and not isinstance(exc, (MemoryError, RecursionError))


def _outcome(value: Any) -> Outcome:
    """What a probe returned: its data, or the tampering it found."""
    return value if isinstance(value, Tampered) else Observed(value)


def _crashed(exc: BaseException, filename: str, entry_points: dict[str, str]) -> Crashed:
    """A probe that raised: the student's exception, an entry point the grader's lookup found
    missing (typed: `MissingEntryPoint`, or the interpreter's AttributeError naming it), or the
    grader's own bug."""
    info = describe(exc, filename)
    if not _raised_in_grader(exc):
        return Crashed(EXCEPTION, **info)
    name = getattr(exc, "name", None)
    if isinstance(exc, (MissingEntryPoint, AttributeError)) and name in entry_points.values():
        return Crashed(MISSING, **info, missing=name)
    return Crashed(GRADER, **info)


def _builtins_restorer() -> Callable[[], None]:
    """Student code may replace builtins (type, isinstance, print); the harness may not use
    theirs. The returned function puts the originals back (after the import, after every probe)."""
    pristine = dict(builtins.__dict__)

    def restore_builtins() -> None:
        builtins.__dict__.clear()
        builtins.__dict__.update(pristine)

    return restore_builtins


def _import_or_end(job: Job, path: Path, restore_builtins: Callable[[], None]) -> Any:
    """The submission imported as a module, or the child ends here, having said why."""
    fd, token = job.result_fd, job.token
    started = time.monotonic()
    try:
        with import_settings(run.probe for run in job.runs):  # the task's, e.g. its own HTTP
            module = _import(path)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the verdict is ours
        restore_builtins()
        channel.send(fd, token, {"type": "import", "ok": False, "error": describe(exc, path.name)})
        sys.stdout.flush()
        os._exit(0)
    restore_builtins()
    channel.send(fd, token, {"type": "import", "ok": True, "seconds": time.monotonic() - started})
    return module


def _run_probes(job: Job, module: Any, path: Path, restore_builtins: Callable[[], None],
                streams: tuple[Any, Any], watchdog: stuck.Watchdog) -> None:
    """Each requested probe in turn, its result sent the moment it ends."""
    fd, token, send = job.result_fd, job.token, channel.send
    source = path.read_text(encoding="utf-8-sig")
    cache: dict[str, Any] = {}
    for run in job.runs:
        nonce = run.params.pop("nonce", "")  # echoed with the result, whatever the probe does
        ctx = ProbeContext(module, path, source, job.entry_points, run.params, int(job.seed), cache)
        send(fd, token, {"type": "begin", "key": run.key})
        random.seed(0)
        started = time.monotonic()
        value: Any = None
        raised: BaseException | None = None
        watchdog.watch(run.key)
        try:
            value = PROBES[run.probe].run(ctx)
        except BaseException as exc:
            raised = exc
        finally:
            watchdog.watch(None)
            sys.stdout, sys.stderr = streams
            restore_builtins()
        # told apart only now, with the builtins (isinstance, type) the grader's again
        outcome = _outcome(value) if raised is None else _crashed(raised, path.name, job.entry_points)
        result = ProbeResult(outcome, round(time.monotonic() - started, 4), nonce,
                             tuple(netguard.ATTEMPTS[:20]))
        try:
            send(fd, token, {"type": "result", "key": run.key, "result": result.to_wire()})
        except (TypeError, ValueError) as exc:
            failed = Crashed(GRADER, type(exc).__name__, str(exc))
            send(fd, token, {"type": "result", "key": run.key,
                             "result": ProbeResult(failed, nonce=nonce).to_wire()})


def _site(site_dirs: tuple[str, ...]) -> None:
    """What `site` gives a program, without the machine's .pth code: the child starts with -S
    (grader.sandbox.box.child_python), so the grader's site-packages folders and the folders
    their .pth files list are added here (grader.sandbox.sitepaths), and `exit`, `quit`, `help`,
    `copyright`, `credits` and `license` are made, as `site` makes them."""
    import site

    sys.path.extend(folder for folder in sitepaths.folders(site_dirs) if folder not in sys.path)
    site.setquit()
    site.setcopyright()
    site.sethelper()


def main() -> None:
    job = Job.decode(sys.stdin.readline())
    _site(job.site_dirs)
    fd, token = job.result_fd, job.token
    send = channel.send
    # Before any of the student's code: what it does to reach into the grader is reported as
    # it happens, over the result pipe, where it cannot be taken back.
    private = channel.Private(fd, token)
    audit_hook.install(job.workdir, lambda finding: private.send({"type": "audit",
                                                                  "finding": finding}),
                       job.filename, netguard.audit_guard(), netguard.AUDITED, job.site_dirs)
    _plain_run_environment(job.filename)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    _die_with_parent()
    _apply_limits(job.limits)
    workdir = Path(job.workdir)
    load_all()
    sys.path[:] = [p for p in sys.path if p != ""] + [str(workdir)]
    os.chdir(workdir)
    netguard.install()
    path = workdir / job.filename
    watchdog = stuck.Watchdog(lambda key: send(fd, token, {"type": "stuck", "key": key}))
    watchdog.start()
    send(fd, token, {"type": "ready"})
    restore_builtins = _builtins_restorer()
    module = _import_or_end(job, path, restore_builtins) if job.style == "contract" else None
    if job.style != "contract":
        send(fd, token, {"type": "import", "ok": True, "seconds": 0.0})
    real_stdout, real_stderr = sys.stdout, sys.stderr
    _run_probes(job, module, path, restore_builtins, (real_stdout, real_stderr), watchdog)
    private.check()
    send(fd, token, {"type": "done", "audit": private.sent})
    for stream in (real_stdout, real_stderr):
        try:
            stream.flush()
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
    os._exit(0)  # student threads that never end must not keep the child alive


if __name__ == "__main__":
    main()
