"""ChildSession (grader/sandbox/session.py) driven by a scripted child: a process that reads its
job and sends the frames a test gives it, then exits or hangs. What the session records for each
way a child ends, without the engine, the jail or a submission."""
import json
import os
import sys
from pathlib import Path

import pytest

from grader.probes.protocol import ImportFailure
from grader.sandbox.box import Box
from grader.sandbox.ending import STUCK
from grader.sandbox.limits import Limits
from grader.sandbox.owntime import Limit, OwnClock
from grader.sandbox.records import Output, ProbeRun, SandboxResult
from grader.sandbox.session import RESTART, STOP, ChildSession, ChildSpec, Progress

pytestmark = pytest.mark.sandbox  # every test starts a (scripted) child

SCRIPT = """
import json, os, sys, time
job = json.loads(sys.stdin.readline())
sys.stderr.write(sys.argv[3])
for frame in json.loads(sys.argv[1]):
    token = frame.pop("token", job["token"])  # a frame may carry a token of its own: a forgery
    os.write(job["result_fd"], (token + " " + json.dumps(frame) + "\\n").encode())
if sys.argv[2] == "hang":
    time.sleep(60)
sys.exit(int(sys.argv[2]))
"""


class ScriptedBox(Box):
    """A box whose child is SCRIPT: it sends `frames`, then exits with `end` (or "hang")."""

    def script(self, frames: list[dict], end: str, stderr: str = "") -> "ScriptedBox":
        self.argv = [json.dumps(frames), end, stderr]
        return self

    def _command(self, fds: list[int]) -> list[str]:
        return [sys.executable, "-c", SCRIPT, *self.argv]


def session(tmp_path: Path, frames: list[dict], end: str, stderr: str = "",
            probes: tuple[str, ...] = ("a", "b")) -> tuple[ChildSession, str]:
    box = ScriptedBox("process", [], str(tmp_path), str(tmp_path), str(tmp_path), str(tmp_path),
                      None, os.getuid()).script(frames, end, stderr)
    limits = Limits(import_seconds=30)
    progress = Progress(SandboxResult(), [ProbeRun(key, "probe", {}, 30) for key in probes],
                        Limit(OwnClock(), 60), Output(1024), Output(1024))
    child = ChildSession(box, ChildSpec("bank.py", "contract", {}, 0, limits), progress)
    return child, child.run()


READY, IMPORTED = {"type": "ready"}, {"type": "import", "ok": True}


def test_a_child_that_ends_before_it_is_ready_is_the_graders_fault_with_its_last_words(tmp_path):
    child, outcome = session(tmp_path, [], "1", stderr="engine failed\nbwrap: no such file")
    result = child.progress.result
    assert outcome == STOP and result.grader_fault and result.import_failure is ImportFailure.SANDBOX
    assert result.import_error == ("internal error: the grader's sandbox did not start (exit code 1: "
                                   "bwrap: no such file); please report this to your instructor")


def test_a_child_that_exits_while_importing_is_the_students(tmp_path):
    child, outcome = session(tmp_path, [READY], "3")
    result = child.progress.result
    assert outcome == STOP and not result.grader_fault
    assert result.import_failure is ImportFailure.EXITED
    assert result.import_error == ("bank.py: your program exited while being imported (exit code 3); "
                                   "do not call exit() at top level")


def test_a_stuck_probe_ends_the_child_at_once_and_the_rest_need_a_restart(tmp_path):
    child, outcome = session(tmp_path, [READY, IMPORTED, {"type": "begin", "key": "a"},
                                        {"type": "stuck", "key": "a"}], "hang")
    stopped = child.progress.result.observations["a"].outcome
    assert outcome == RESTART and (stopped.kind, stopped.message) == ("timeout", STUCK)
    assert [p.key for p in child.progress.remaining] == ["b"]
    assert child.proc.returncode is not None  # killed, not waited out


def test_a_child_that_exits_during_a_probe_crashes_that_probe_alone(tmp_path):
    child, outcome = session(tmp_path, [READY, IMPORTED, {"type": "begin", "key": "a"}], "0")
    stopped = child.progress.result.observations["a"].outcome
    assert outcome == RESTART
    assert (stopped.kind, stopped.message) == ("exit", "your program exited during this check (exit code 0)")
    assert [p.key for p in child.progress.remaining] == ["b"]


def test_a_done_frame_counting_findings_the_grader_never_got_is_flagged(tmp_path):
    child, outcome = session(tmp_path, [READY, IMPORTED, {"type": "audit", "finding": {"x": 1}},
                                        {"type": "done", "audit": 2}], "0", probes=())
    assert outcome == STOP
    assert child.progress.result.integrity == [
        "the sandboxed run: its audit hook sent 2 finding(s) and the grader received 1, so its "
        "results cannot be vouched for"]


def test_a_frame_without_the_runs_token_is_counted_as_forged_and_changes_nothing(tmp_path):
    forged = {"token": "0" * 32, "type": "import", "ok": True}
    child, outcome = session(tmp_path, [READY, forged], "0")
    result = child.progress.result
    assert result.forged_frames == 1 and result.import_failure is ImportFailure.EXITED
