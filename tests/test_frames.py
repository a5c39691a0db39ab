"""The hooks' frame reads (grader/probes/preempt/frames.py): the same frames and code objects as
`sys._getframe` and `f_code`, without an audit event; the C functions behind them and behind
the threads' `random` streams (streams.py) are guarded by the engine's integrity check."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from grader.probes.preempt import access, engine, frames, streams
from grader.probes.preempt.access import hooks
from grader.sandbox import audit_hook


def _outer():
    return _inner()


def _inner():
    return frames.getframe(0), frames.getframe(1), sys._getframe(0), sys._getframe(1)


def test_getframe_counts_depth_from_its_caller_as_sys_getframe_does():
    mine, parent, expected_mine, expected_parent = _outer()
    assert mine is expected_mine and parent is expected_parent
    assert frames.code_of(mine) is _inner.__code__ and frames.code_of(parent) is _outer.__code__


def test_a_depth_past_the_outermost_frame_raises_as_sys_getframe_does():
    with pytest.raises(ValueError):
        frames.getframe(10_000)


@pytest.mark.sandbox  # a fresh interpreter: audit hooks cannot be removed
def test_reading_frames_through_the_c_api_raises_no_audit_event():
    program = textwrap.dedent("""
        import sys
        from grader.probes.preempt import frames
        seen = []
        sys.addaudithook(lambda event, args: seen.append(event))
        def call():
            return frames.code_of(frames.getframe(1)), frames.getframe(0)
        for _ in range(100):
            call()
        direct = sys._getframe(0).f_code
        print(sorted(set(seen)))
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    # the direct reads at the end are seen: the hook works; the hundred calls raise nothing
    assert done.stdout.strip() == "['object.__getattr__', 'sys._getframe']"


C_FUNCTIONS = {**frames.c_functions(), **streams.c_functions()}


@pytest.mark.parametrize("name", sorted(C_FUNCTIONS))
def test_a_result_check_set_on_a_c_function_is_reported_as_tampering(name):
    function = C_FUNCTIONS[name]
    assert engine.tampering(hooks()) is None
    function.errcheck = lambda result, func, arguments: result
    try:
        assert engine.tampering(hooks()) == f"the grader's C function {name}.errcheck was replaced"
    finally:
        del function.errcheck
    assert engine.tampering(hooks()) is None


def test_what_a_pass_through_hook_raises_for_the_student_is_the_students():
    """The instrumented `getattr` does the read for the student: a frame's `f_code` read in it
    is the student's (the hooks' own frame reads raise no event), while an event raised in the
    grader's other code is its own."""
    grader = str(Path(access.__file__).resolve().parents[2]) + "/"
    sealed = audit_hook._sealed_test(grader, audit_hook._stdlib())
    frame = sys._getframe(0)
    assert not sealed(frame, access.hook_getattr.__code__, "object.__getattr__", (frame, "f_code"))
    assert not sealed(frame, access.hook_exec.__code__, "sys._getframe", (frame,))
    assert sealed(frame, access._note.__code__, "object.__getattr__", (frame, "f_code"))
