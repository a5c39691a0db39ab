"""A PEP 578 audit hook for the sandboxed child: records what a forger needs, as it happens.

Student code shares its interpreter with the probes, so nothing in the child can be kept from
it; what can be done is to notice. CPython raises audit events for the operations that reach
into other code's state — frames (`sys._getframe`, `tb_frame`, `gi_frame`, `f_code`), every
object (`gc.get_objects`/`get_referrers`/`get_referents`), code swapping (`__code__` and
`__class__` assignment, new functions from code objects), tracing (`sys.settrace`,
`sys.setprofile`, `sys.monitoring`), and code from strings (`exec`, `compile`).

An event is the submission's when any frame below it is in the submission's folder, not only
the frame that raised it: a standard-library wrapper (`code.InteractiveInterpreter.runsource`,
`logging.currentframe()`, a payload compiled under another file name) launders nothing. The
exceptions are the uses known to be harmless, where the frame, code or object never reaches
the caller (`SEALED`): the import system, `namedtuple`/`dataclass`/`enum`/`typing` building
classes, `logging` finding its caller, `traceback` formatting, and the grader's own code
(the hooks an instrumented program calls read frames through the C API, which raises no event:
grader/probes/preempt/frames.py; whatever a pass-through hook raises, such as the student's
`exec` or `getattr`, stays the student's). A function in `LEAKY` hands its frame
back, so it is harmless only when a sealed function called it (`logging.currentframe` from
`Logger.findCaller`, `traceback.walk_tb` from `StackSummary.extract`). A thread the submission
started that runs only library code (`pool.submit(sys._getframe)`) has no frame of the
submission's at all: its events are the submission's unless the thread is the grader's own
(its target is the grader's code).

Each finding is written to the result pipe at once, before the student's code gets the frame
or object back, so it cannot be taken back later; `grader.sandbox.channel.Private` makes sure the
hook's pipe is still the grader's (see there). Hooks cannot be removed; what CPython does not
audit (`f_back`, `f_locals`, `__globals__`, attribute assignment on modules, `os.dup2`) is the
static audit's job (`grader.submission.audit_static`).
"""
from __future__ import annotations

import _thread
import os
import pathlib
import sys
from typing import Any, Callable

FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code", "gi_code",
                              "cr_code", "ag_code"})
SWAPPED_ATTRIBUTES = frozenset({"__code__", "__class__", "__bases__", "__defaults__",
                                "__kwdefaults__", "__globals__"})
WHAT = {
    "sys._getframe": "takes an interpreter frame (sys._getframe)",
    "sys._current_frames": "takes every thread's frame (sys._current_frames)",
    "sys._current_exceptions": "takes every thread's exception (sys._current_exceptions)",
    "sys.settrace": "installs a trace function (sys.settrace)",
    "sys.setprofile": "installs a profile function (sys.setprofile)",
    "gc.get_objects": "lists every object of the interpreter (gc.get_objects)",
    "gc.get_referrers": "looks up who refers to an object (gc.get_referrers)",
    "gc.get_referents": "looks up what an object refers to (gc.get_referents)",
    "function.__new__": "builds a function from a code object",
    "code.__new__": "builds a code object",
    "exec": "runs code built at run time (exec/eval)",
    "compile": "compiles code at run time (compile/exec/eval of a string)",
}
# Paths a bank or downloader never reads: the interpreter's own memory and state, the machine's
# mounts and control groups (how a program would tell the sandbox from a plain run).
PRIVATE_PATHS = ("/proc/", "/sys/")
MAX_FINDINGS = 50

# Standard-library functions that use frames, code or `exec` for themselves and give none of
# it to their caller: (path under the standard library, function name).
SEALED = frozenset({
    ("collections/__init__.py", "namedtuple"),
    ("dataclasses.py", "_create_fn"), ("dataclasses.py", "add_fns_to_class"),
    ("enum.py", "_create_"), ("enum.py", "_convert_"),
    ("typing.py", "_caller"),
    ("logging/__init__.py", "findCaller"), ("logging/__init__.py", "_is_internal_frame"),
    ("traceback.py", "_extract_from_extended_frame_gen"), ("traceback.py", "extract"),
    ("traceback.py", "clear_frames"),
    ("ast.py", "parse"),  # an AST, never code: running it needs compile() in the caller
    ("threading.py", "invoke_excepthook"),  # the default excepthook formats the traceback
    ("unittest/result.py", "_is_relevant_tb_level"),
    ("unittest/result.py", "_clean_tracebacks"),
    ("warnings.py", "_is_internal_frame"), ("warnings.py", "_next_external_frame"),
    ("warnings.py", "warn"),
})
# Standard-library functions that return a frame to whoever called them.
LEAKY = frozenset({
    ("logging/__init__.py", "<lambda>"), ("logging/__init__.py", "currentframe"),
    ("traceback.py", "walk_tb"), ("traceback.py", "walk_stack"),
    ("traceback.py", "_walk_tb_with_full_positions"),
})
# The import system's frames: module code is executed and compiled here, and a module's own
# frames are attributed by where its file is.
IMPORT_SYSTEM = frozenset({"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"})
# The grader's hooks that do an operation on the student's behalf (`exec`, `getattr`, ...):
# what they raise is the student's (they read their own frames without events: frames.py).
PASS_THROUGH_FILE = "/probes/preempt/access.py"

Report = Callable[[dict[str, object]], None]


def _stdlib() -> str:
    """The standard library's folder (where `os` lives; the sandbox mounts it read-only)."""
    return os.path.dirname(os.path.abspath(os.__file__)) + "/"


def _installed(site_dirs: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Where the machine's modules live (the standard library, site-packages): read-only in
    the sandbox, never the student's. `site_dirs`: the grader's site-packages folders, which
    `sysconfig` does not know in a child started without `site` from a venv (its prefix is then
    the base installation's)."""
    import sysconfig

    paths = sysconfig.get_paths()
    found = {paths[k].rstrip("/") + "/" for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    found |= {folder.rstrip("/") + "/" for folder in site_dirs}
    return tuple(sorted(found | {_stdlib()}))


THREAD = object()  # the event's owner: a thread the submission started, with no frame of its own


def install(student_folder: str, report: Report, main_file: str = "",
            network: Callable[[str, tuple[Any, ...]], None] | None = None,
            network_events: frozenset[str] = frozenset(), site_dirs: tuple[str, ...] = ()) -> None:
    """Report (once per event and line) every watched event the submission's code is under.
    `main_file` names what a thread of the submission's with no frame of its own reports;
    `network` (grader.sandbox.netguard.audit_guard) is called first for `network_events` and
    refuses them by raising: the child's one audit hook does both. `site_dirs`: the grader's
    site-packages folders, whose modules are installed ones (see `_installed`).

    Everything the hook needs is bound in closures made here, once (the factories below run
    only now): rebinding this module's names afterwards does not switch it off, and audit hooks
    cannot be removed."""
    folder = student_folder.rstrip("/") + "/"
    grader = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"  # the package
    stdlib = _stdlib()
    main = _thread.get_ident()  # the child's main thread: the grader's own, whatever it calls
    owner = _owner_finder(folder, stdlib, _installed(site_dirs), main, _sealed_test(grader, stdlib),
                          _thread_test(grader, stdlib))
    sys.addaudithook(_hook(owner, report, folder, main_file, network, network_events))


SealedTest = Callable[[Any, Any, str, tuple[object, ...]], bool]
OwnerFinder = Callable[[Any, str, tuple[object, ...]], tuple[Any, str]]


def _sealed_test(grader: str, stdlib: str) -> SealedTest:
    """The test whether an event raised in a frame is harmless whoever called it (SEALED, the
    grader's own code, the import system, a LEAKY function called by a sealed one)."""

    def key_of(code: Any) -> tuple[str, str] | None:
        filename = code.co_filename
        if filename.startswith(stdlib) and "/site-packages/" not in filename:
            return filename[len(stdlib):], code.co_name
        return None

    def sealed(frame: Any, code: Any, event: str, args: tuple[object, ...]) -> bool:
        """The event raised in `frame` (running `code`) is harmless whoever called it (SEALED)."""
        filename = code.co_filename
        if filename.startswith(grader):
            # the operation a pass-through hook does for the student (exec, getattr(tb,
            # "tb_frame"), a code swap) stays the student's
            return not (filename.endswith(PASS_THROUGH_FILE) and code.co_name.startswith("hook_"))
        if filename in IMPORT_SYSTEM:
            return True
        key = key_of(code)
        if key in SEALED:
            return True
        if key in LEAKY:
            caller = frame.f_back
            return caller is not None and key_of(caller.f_code) in SEALED
        return False

    return sealed


def _thread_test(grader: str, stdlib: str) -> Callable[[Any], bool]:
    """The test whether a thread with no frame of the submission's is still its own."""
    threading_file = os.path.join(stdlib, "threading.py")
    machinery = grader + "probes/preempt/"

    def started_by_submission(frame: Any) -> bool:
        """A thread with no frame of the submission's is still its own when the submission
        started it: `pool.submit(sys._getframe)` runs only library code. The grader's own
        threads (its HTTP server, the thread that calls the student's function) run a target
        of the grader's; the thread machinery (threading's bootstrap, the scheduler's wrappers)
        says nothing either way."""
        frames = []
        while frame is not None:
            frames.append(frame.f_code.co_filename)
            frame = frame.f_back
        for filename in reversed(frames):
            if filename == threading_file or filename.startswith(machinery):
                continue
            return not filename.startswith(grader)
        return True  # a builtin as the target: no frame of anybody's

    return started_by_submission


def _owner_finder(folder: str, stdlib: str, installed: tuple[str, ...], main: int, sealed: SealedTest,
                  started_by_submission: Callable[[Any], bool]) -> OwnerFinder:
    """Who an event belongs to (see `owner`)."""

    def owner(frame: Any, event: str, args: tuple[object, ...]) -> tuple[Any, str]:
        """The innermost frame of the submission's under the event (None: not its event), and
        the function that raised it when that is not the submission's own code. An installed
        module's own top level, run by an import, is that module's business (`requests`
        building its classes), not the importer's."""
        code = frame.f_code
        if code.co_filename.startswith(folder):
            return frame, ""
        if sealed(frame, code, event, args):
            return None, ""
        above, below = frame, frame.f_back
        while below is not None:
            filename = below.f_code.co_filename
            if filename.startswith(folder):
                return below, _through(code, stdlib)
            if filename in IMPORT_SYSTEM and above.f_code.co_filename.startswith(installed):
                return None, ""
            above, below = below, below.f_back
        if _thread.get_ident() != main and started_by_submission(frame):
            return THREAD, _through(code, stdlib)
        return None, ""

    return owner


def _hook(owner: OwnerFinder, report: Report, folder: str, main_file: str,
          network: Callable[[str, tuple[Any, ...]], None] | None, network_events: frozenset[str]
          ) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook: refuses the network events (`network`), picks the watched events, asks
    `owner` whose they are, reports each (event, line) of the submission's once, at most
    MAX_FINDINGS."""
    busy = _thread._local()
    seen: set[tuple[str, str, str, int]] = set()
    getframe = sys._getframe

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in network_events and network is not None:
            network(event, args)  # raises: the connection or lookup is refused
        if getattr(busy, "on", False):
            return  # our own frame reads below
        if event in WHAT or event.startswith("sys.monitoring"):
            detail = ""
        elif event == "object.__getattr__" and len(args) > 1 and args[1] in FRAME_ATTRIBUTES:
            detail = f"reads .{args[1]} (a frame or code object)"
        elif event in ("object.__setattr__", "object.__delattr__") and len(args) > 1 \
                and args[1] in SWAPPED_ATTRIBUTES:
            detail = f"replaces .{args[1]} of a {_type_name(args[0])} object"
        elif event == "open" and args and _private_path(args[0]):
            detail = "opens a file under /proc or /sys (the interpreter's own memory and state, " \
                     "the machine's mounts)"
        elif event in ("os.listdir", "os.scandir") and args and _private_path(args[0]):
            detail = "lists a folder under /proc or /sys (processes, mounts)"
        else:
            return
        busy.on = True
        try:
            frame, through = owner(getframe(1), event, args)
            if frame is None:
                return
            what = detail or WHAT.get(event, f"uses {event}")
            if frame is THREAD:
                filename, line = folder + main_file, 0
                what += f" in a thread it started that runs only library code ({through})"
            else:
                filename, line = frame.f_code.co_filename, frame.f_lineno
                if through:
                    what += f" through {through}"
            key = (event, detail, filename, line)
            if key in seen or len(seen) >= MAX_FINDINGS:
                return
            seen.add(key)
            report({"event": event, "what": what, "file": filename[len(folder):], "line": line})
        finally:
            busy.on = False

    return hook


def _through(code: Any, stdlib: str) -> str:
    """Where a laundered event was raised, for the reviewer: `code.runsource`, `<payload>`."""
    filename = str(code.co_filename)
    if filename.startswith(stdlib):
        module = filename[len(stdlib):].removesuffix(".py").removesuffix("/__init__")
        return f"{module.replace('/', '.')}.{code.co_name}"[:120]
    return f"{filename.rsplit('/', 1)[-1]}:{code.co_name}"[:120]


def _private_path(path: object) -> bool:
    """`path` (as given to open/listdir) is under /proc or /sys. Read by type, never through a
    method the student could have defined (no code of the student's runs in the hook)."""
    kind = type(path)
    text: str
    if kind in (pathlib.PosixPath, pathlib.PurePosixPath):
        text = os.fspath(path)  # type: ignore[call-overload]
    elif issubclass(kind, bytes):
        text = bytes.decode(path, "utf-8", "replace")  # type: ignore[arg-type]
    elif issubclass(kind, str):
        text = "".__add__(path)  # type: ignore[operator]
    else:
        return False
    return (os.path.abspath(text) + "/").startswith(PRIVATE_PATHS)


def _type_name(obj: object) -> str:
    """The type's name, read without running any code of the student's (no properties)."""
    return str(type.__dict__["__name__"].__get__(type(obj)))[:80]
