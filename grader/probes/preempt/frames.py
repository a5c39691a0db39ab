"""The grader's own frame and code reads, made without raising an audit event.

The hooks an instrumented program calls read the caller's frame (`sys._getframe`) and its code
(`frame.f_code`) on every recorded access: which line, which function, which region. In the
sandboxed child both are PEP 578 audit events, and the child's audit hook
(grader/sandbox/audit_hook.py) then walks the stack to find that the reader is the grader: about
4 us a read, against 0.2 us for the read itself. A bank grading makes some 60,000 of them, a
quarter of its CPU.

CPython's C API reads the same things and raises nothing: `PyThreadState_GetFrame` (the running
frame of the calling thread) and `PyFrame_GetCode`, both since 3.9, both returning a new reference
that ctypes' `py_object` result takes over. The function objects are made here with their own
prototypes, not taken from `ctypes.pythonapi` (whose attributes anyone may retype).

This changes nothing the audit hook watches: the grader's reads were already its own (the hook
calls them sealed and reports nothing), and the student's code still raises its events for every
frame it takes. Reaching these functions takes `__globals__` or `ctypes`, which the static audit
reports (grader/submission/audit_static.py).
"""
from __future__ import annotations

import ctypes
import sys
from types import CodeType, FrameType
from typing import Any, Callable


def _bind() -> tuple[Callable[[], Any], Callable[[Any], Any], Callable[[Any], Any]] | None:
    try:
        api = ctypes.pythonapi
        state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", api))
        running = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p)(("PyThreadState_GetFrame", api))
        code = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(("PyFrame_GetCode", api))
    except (AttributeError, OSError, ValueError):  # an interpreter without the C API
        return None
    return state, running, code


_BOUND = _bind()


if _BOUND is not None:
    _state, _running, _code = _BOUND

    def getframe(depth: int = 0) -> FrameType:
        """As `sys._getframe(depth)` called where this is called: 0 is the caller's own frame."""
        frame = _running(_state()).f_back  # the running frame is this function's own
        while depth:
            frame = frame.f_back
            if frame is None:
                raise ValueError("call stack is not deep enough")
            depth -= 1
        return frame  # type: ignore[no-any-return]

    def code_of(frame: FrameType) -> CodeType:
        """`frame.f_code`."""
        return _code(frame)  # type: ignore[no-any-return]

else:  # pragma: no cover - CPython always has the C API
    def getframe(depth: int = 0) -> FrameType:
        """As `sys._getframe(depth)` called where this is called: 0 is the caller's own frame."""
        return sys._getframe(depth + 1)

    def code_of(frame: FrameType) -> CodeType:
        """`frame.f_code`."""
        return frame.f_code


def c_functions() -> dict[str, Any]:
    """The C functions behind the reads, by name (for the engine's integrity check)."""
    names = ("PyThreadState_Get", "PyThreadState_GetFrame", "PyFrame_GetCode")
    return dict(zip(names, _BOUND)) if _BOUND is not None else {}
