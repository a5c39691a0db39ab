"""A PEP 578 audit hook for the sandboxed child: records what a forger needs, as it happens.

Student code shares its interpreter with the probes, so nothing in the child can be kept from
it; what can be done is to notice. CPython raises audit events for the operations that reach
into other code's state — frames (`sys._getframe`, `tb_frame`, `gi_frame`, `f_code`), every
object (`gc.get_objects`/`get_referrers`/`get_referents`), code swapping (`__code__` and
`__class__` assignment, new functions from code objects), tracing (`sys.settrace`,
`sys.setprofile`, `sys.monitoring`), and code from strings (`exec`, `compile`). The hook
reports such an event only when the Python frame that triggered it belongs to the submission's
own files (its folder in the sandbox): the standard library, pytest, Hypothesis and the
grader use these too, for logging and tracebacks, and are not findings.

Each finding is written to the result pipe at once, before the student's code gets the frame
or object back, so it cannot be taken back later. Hooks cannot be removed; what CPython does
not audit (`f_back`, `f_locals`, `__globals__`, attribute assignment on modules) is the static
audit's job (`grader.audit_static`).
"""
from __future__ import annotations

import _thread
import sys
from typing import Callable

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
MAX_FINDINGS = 50

Report = Callable[[dict[str, object]], None]


def install(student_folder: str, report: Report) -> None:
    """Report (once per event and line) every watched event raised from `student_folder`."""
    folder = student_folder.rstrip("/") + "/"
    busy = _thread._local()
    seen: set[tuple[str, str, str, int]] = set()
    getframe = sys._getframe

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event in WHAT or event.startswith("sys.monitoring"):
            detail = ""
        elif event == "object.__getattr__" and len(args) > 1 and args[1] in FRAME_ATTRIBUTES:
            detail = f"reads .{args[1]} (a frame or code object)"
        elif event in ("object.__setattr__", "object.__delattr__") and len(args) > 1 \
                and args[1] in SWAPPED_ATTRIBUTES:
            detail = f"replaces .{args[1]} of a {_type_name(args[0])} object"
        elif event == "open" and args and _is_proc(args[0]):
            detail = "opens a file under /proc (the interpreter's own memory, files and state)"
        else:
            return
        if getattr(busy, "on", False):
            return  # our own sys._getframe below
        busy.on = True
        try:
            frame = getframe(1)
            filename = frame.f_code.co_filename
            if not filename.startswith(folder):
                return
            key = (event, detail, filename, frame.f_lineno)
            if key in seen or len(seen) >= MAX_FINDINGS:
                return
            seen.add(key)
            what = detail or WHAT.get(event, f"uses {event}")
            report({"event": event, "what": what, "file": filename[len(folder):],
                    "line": frame.f_lineno})
        finally:
            busy.on = False

    sys.addaudithook(hook)


def _is_proc(path: object) -> bool:
    if isinstance(path, bytes):
        path = path.decode("utf-8", "replace")
    return isinstance(path, str) and path.startswith("/proc/")


def _type_name(obj: object) -> str:
    """The type's name, read without running any code of the student's (no properties)."""
    return str(type.__dict__["__name__"].__get__(type(obj)))[:80]
