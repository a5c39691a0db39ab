"""Hostile submissions: each scores at most what its honest part earns, gets a clear message,
and leaves the grader and the machine unharmed, within its time limits."""
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT
from grader.batch.app import BatchOptions, run_batch
from grader.errors import GraderError
from grader.grading import grade
from grader.rubric import parse_rubric
from grader.sandbox import available_levels, bootcopy, isolation_level, jail

REFERENCE = (ROOT / "reference" / "bank.py").read_text()


def statuses(report):
    return {c.id: c.status for c in report.checks}


def orphans():
    """Processes still running in a sandbox folder that the grader has already deleted."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if "/grader-" in cwd and cwd.endswith("(deleted)"):
            found.append(proc.name)
    return found


def test_memory_bomb_in_a_method_fails_that_check_only(grading, rubric):
    path = grading.write("""
        def _greedy(self, amount):
            hoard = bytearray(64 * 1024 ** 3)
        BankAccount.withdraw = _greedy
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert "MemoryError" in next(c.message for c in report.checks if c.id == "basic")
    assert statuses(report)["api"] == "passed"


def test_fork_bomb_is_capped_and_cleaned_up(grading):
    path = grading.write("""
        import os
        class BankAccount: pass
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    report = grade(grading.rubric(), "bank", path)
    assert report.score == 0 and "did not finish within 2 s" in report.error
    time.sleep(0.5)
    assert orphans() == []


def test_segfault_fails_the_check_with_the_signal(grading, rubric):
    path = grading.write("""
        import ctypes
        BankAccount.withdraw = lambda self, amount: ctypes.string_at(0)
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and "SIGSEGV" in basic.message
    assert statuses(report)["simulate_threads"] == "passed"


def test_forged_results_on_stdout_and_on_open_fds_change_nothing(grading, rubric):
    path = grading.write("""
        import atexit, os, json
        FAKE = json.dumps({"task": "bank", "score": 100, "checks": []})
        print(FAKE); print("PASSED all tests")
        atexit.register(lambda: print(FAKE))
        for fd in range(3, 64):
            try:
                os.write(fd, b'{"type": "result", "key": "x", "result": {}}\\n')
            except OSError:
                pass
        class BankAccount:
            def __init__(self, balance=0): self.balance = balance
    """)
    report = grade(rubric, "bank", path)
    assert report.score < 3
    assert statuses(report)["api"] == "failed"
    assert any("without the run's token" in note for note in report.notes)


def test_always_equal_objects_are_not_taken_for_results(grading, rubric):
    path = grading.write("""
        class Anything:
            def __eq__(self, other): return True
            def __bool__(self): return True
        BankAccount.balance = property(lambda self: Anything())
        BankAccount.withdraw = lambda self, amount: Anything()
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert "Anything" in next(c.message for c in report.checks if c.id == "basic")


def test_replacing_threading_lock_does_not_hide_races(grading, rubric):
    path = grading.write("""
        import threading
        class _NoLock:
            def __enter__(self): return self
            def __exit__(self, *exc): return False
            def acquire(self, *a, **k): return True
            def release(self): pass
        threading.Lock = _NoLock
        threading.RLock = _NoLock
    """ + REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["no_lost_update"] == "failed"


def test_switching_off_the_scheduling_hooks_is_detected(grading, rubric):
    path = grading.write("""
        import sys
        sys.settrace(None)
        globals()["__grader_point__"] = lambda *args: None
        globals()["__grader_read__"] = lambda value, *args: value
        class BankAccount:
            def __init__(self, balance=0): self.balance = balance
            def deposit(self, amount):
                if amount <= 0: raise ValueError
                self.balance += amount
            def withdraw(self, amount):
                if amount <= 0: raise ValueError
                if amount > self.balance: return False
                self.balance -= amount
                return True
        def simulate(account, customers, each, amount): return account.balance
    """)
    report = grade(rubric, "bank", path)
    lost = next(c for c in report.checks if c.id == "no_lost_update")
    assert lost.status == "failed"


def test_patching_the_graders_scheduler_is_detected(grading, rubric):
    path = grading.write("""
        try:
            import grader.probes.preempt.scheduler as s
            s.Scheduler.point = lambda self, line: None
        except ImportError:
            pass
    """, prefix=REFERENCE.replace("self._balance += amount", "self._balance = self._balance + amount"))
    report = grade(rubric, "bank", path)
    lost = next(c for c in report.checks if c.id == "no_lost_update")
    assert lost.status == "failed" and "replaced" in lost.message


def test_network_access_never_leaves_the_machine(grading, rubric):
    path = grading.write("""
        import socket, urllib.request
        errors = []
        for attempt in (lambda: urllib.request.urlopen("http://example.com", timeout=2),
                        lambda: socket.create_connection(("1.1.1.1", 80), timeout=2)):
            try:
                attempt()
            except Exception as exc:
                errors.append(type(exc).__name__)
        if len(errors) != 2:
            raise RuntimeError("network reachable")
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None and report.score >= report.max_score


def test_never_ending_thread_and_ignored_sigterm_cost_only_the_time_limit(grading):
    path = grading.write("""
        import signal, threading
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        threading.Thread(target=lambda: [None for _ in iter(int, 1)]).start()
    """, prefix=REFERENCE)
    report = grade(grading.rubric(), "bank", path)
    assert statuses(report)["api"] == "passed"


def test_killing_the_parent_does_not_reach_the_grader(grading, rubric):
    path = grading.write("""
        import os, signal
        def _kill(self, amount):
            for target in (os.getppid(), 1):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            return True
        BankAccount.withdraw = _kill
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert statuses(report)["api"] == "passed"


@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="needs bubblewrap")
def test_rubric_and_reference_solutions_are_invisible(grading, rubric):
    path = grading.write(f"""
        import pathlib
        for secret in ({str(ROOT / 'rubric.yaml')!r}, {str(ROOT / 'reference' / 'bank.py')!r}):
            if pathlib.Path(secret).exists():
                raise RuntimeError("can read " + secret)
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None


@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="needs bubblewrap")
def test_writes_outside_the_work_folder_do_not_land(grading, rubric, tmp_path):
    marker = Path("/tmp") / f"grader-redteam-{tmp_path.name}"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = grading.write(f"""
        import os
        for target in ({str(marker)!r}, {str(ROOT / 'marker.txt')!r}):
            try:
                open(target, "w").write("pwned")
            except OSError:
                pass
        try:
            os.remove({str(victim)!r})
        except OSError:
            pass
    """, prefix=REFERENCE)
    grade(rubric, "bank", path)
    assert not marker.exists() and not (ROOT / "marker.txt").exists()
    assert victim.read_text() == "keep me"


def test_a_file_shadowing_a_standard_module_is_not_imported_by_the_grader(grading, rubric, tmp_path):
    grading.write(REFERENCE)
    for name in ("json.py", "threading.py", "grader.py", "random.py"):
        grading.write("raise SystemExit('shadowed')\n", name=name)
    report = grade(rubric, "bank", tmp_path / "submission")
    assert report.error is None and report.score >= report.max_score


def test_replacing_builtins_does_not_change_how_results_are_read(grading, rubric):
    path = grading.write("""
        import builtins
        class Anything:
            def __eq__(self, other): return True
        BankAccount.withdraw = lambda self, amount: Anything()
        builtins.type = lambda value: bool
        builtins.isinstance = lambda *args: True
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert "Anything" in next(c.message for c in report.checks if c.id == "basic")


def test_limits_leave_room_for_a_hundred_and_fifty_threads(grading, rubric):
    path = grading.write("""
        assert simulate(BankAccount(), 150, 20, 1) == 3000
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None and report.score >= report.max_score


# -- child-controlled strings: one bad submission never spoils a report or a class -----------
def _rendered(report):
    from grader.reports import load_formats

    return {name: render(report) for name, render in load_formats().items()}


def test_a_lone_surrogate_in_an_exception_message_spoils_no_report(grading, rubric):
    path = grading.write("""
        def _odd(self, amount):
            raise RuntimeError("half a character: \\ud800")
        BankAccount.withdraw = _odd
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and "RuntimeError" in basic.message
    for text in _rendered(report).values():
        text.encode("utf-8")  # a lone surrogate cannot be encoded: this is what used to crash


def test_a_lone_surrogate_does_not_stop_the_batch_writing_the_gradebook(rubric, tmp_path):
    from grader.batch.app import BatchOptions, run_batch

    good, bad = tmp_path / "class" / "alice", tmp_path / "class" / "mallory"
    good.mkdir(parents=True), bad.mkdir(parents=True)
    (good / "bank.py").write_text(REFERENCE)
    (bad / "bank.py").write_text(REFERENCE + "\nBankAccount.withdraw = lambda self, a: "
                                             "(_ for _ in ()).throw(RuntimeError('\\ud800'))\n")
    result, written = run_batch(tmp_path / "class", rubric, BatchOptions(
        tasks=["bank"], out=tmp_path / "out", jobs=1, progress=False))
    scores = {s.student.key: s.grades["bank"].score for s in result.students}
    assert scores["alice"] >= 19 and scores["mallory"] < scores["alice"]
    assert "alice" in (tmp_path / "out" / "grades.csv").read_text()
    assert any("mallory" in p.name for p in (tmp_path / "out" / "feedback").iterdir())


def test_escape_codes_and_a_huge_name_in_an_exception_type_are_shown_harmlessly(grading, rubric):
    path = grading.write("""
        import sys
        Sneaky = type("\\x1b[2J\\x1b[HScore: 19/19\\u202e" + "A" * 100000, (Exception,), {})
        def _odd(self, amount):
            raise Sneaky("\\x1b]0;pwned\\x07" + "B" * 100000)
        BankAccount.withdraw = _odd
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and report.score < report.max_score
    for text in _rendered(report).values():
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b[2J" in basic.message
    assert len(basic.message) < 1000


def test_forged_frames_of_odd_shapes_are_ignored_not_crashed_on(grading, rubric):
    # The module's top level runs in a scheduled thread (no harness frame above it), so the
    # forgery is done from a method a probe calls from the harness's own thread.
    path = grading.write("""
        import os, sys
        def _forge():
            frame = sys._getframe()
            while frame is not None and "token" not in frame.f_locals:
                frame = frame.f_back
            if frame is not None:
                fd, token = frame.f_locals["fd"], frame.f_locals["token"]
                for body in ('{"type": "begin", "key": ["a"]}', '{"type": "import", "ok": false, "error": 3}',
                             '{"type": "result", "key": 1, "result": []}', '[' * 100000, '{"type": {}}'):
                    os.write(fd, token.encode() + b" " + body.encode() + b"\\n")
        _original_init = BankAccount.__init__
        def _init(self, *args, **kwargs):
            _forge()
            _original_init(self, *args, **kwargs)
        BankAccount.__init__ = _init
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None
    assert any("without the run's token" in note or "forged" in note for note in report.notes)


# -- tampering with the grader: detected and flagged for review, never a silent full score ---
NO_LOCK = REFERENCE.replace("with self._lock:", "if True:")


def review(report):
    return "\n".join(report.needs_review)


def test_replacing_the_graders_probes_is_flagged_for_review(grading, rubric):
    path = grading.write("""
        import grader.probes.registry as registry
        for name in list(registry.PROBES):
            registry.PROBES[name] = registry.ProbeDef(name, lambda ctx: {"problems": [], "ok": True})
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert "imports the grader (grader.probes.registry)" in review(report)


def test_taking_the_token_from_a_frame_and_forging_results_is_flagged(grading, rubric):
    path = grading.write("""
        import os, sys
        frame = sys._getframe()
        while frame is not None and "token" not in frame.f_locals:
            frame = frame.f_back
        fd, token, job = frame.f_locals["fd"], frame.f_locals["token"], frame.f_locals["job"]
        for run in job.runs:
            for kind in ("begin", "result"):
                os.write(fd, (token + ' {"type": "%s", "key": %s, "result": {"outcome": "observed", '
                              '"data": {"problems": [], "runs": []}}}\\n'
                              % (kind, repr(run.key).replace("'", '"'))).encode())
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    found = review(report)
    assert "takes an interpreter frame (sys._getframe)" in found
    assert report.error is None


def test_frames_reached_without_a_name_the_source_audit_knows_are_seen_at_run_time(grading, rubric):
    path = grading.write("""
        with open("later.py", "w") as _out:  # a module the source audit never sees
            _out.write("import sys\\nFRAME = sys._getframe(0)\\n")
        import later
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert "later.py line 2: takes an interpreter frame (sys._getframe) (seen while it ran)" \
        in report.needs_review
    assert any(reason.startswith("bank.py line ") and "imports later" in reason
               for reason in report.needs_review)  # a module it does not ship: the allow-list
    assert report.score >= report.max_score  # the honest part still earns its points


def test_replacing_random_random_is_flagged(grading, rubric):
    path = grading.write("""
        import random
        random.Random.random = lambda self: 0.99
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert "replaces random.Random.random, part of an imported module" in review(report)
    lost = next(c for c in report.checks if c.id == "no_lost_update")
    assert lost.status == "failed" and "random.Random.random was replaced" in lost.message


def test_swapping_a_functions_code_is_flagged(grading, rubric):
    path = grading.write("""
        def _quiet(*args, **kwargs):
            return None
        def _swap(fn):
            fn.__code__ = _quiet.__code__
        import threading
        _swap(threading.Thread.start)
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert "reads or swaps a function's code (.__code__)" in review(report)


def test_setting_the_running_schedulers_switch_to_zero_is_flagged(grading, rubric):
    path = grading.write("""
        import gc
        def _calm():
            for obj in gc.get_objects():
                if type(obj).__name__ == "Scheduler":
                    obj.switch = 0
        class BankAccount(BankAccount):
            def deposit(self, amount):
                _calm()
                return super().deposit(amount)
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    found = review(report)
    assert "lists every object of the interpreter (gc.get_objects)" in found


def test_replacing_the_engines_tamper_check_is_flagged(grading, rubric):
    path = grading.write("""
        import importlib
        engine = importlib.import_module("grader" + ".probes.preempt.engine")
        engine.tampering = lambda namespace: None
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    found = review(report)
    assert "imports a module whose name is computed at run time (import_module)" in found
    assert "names the grader's internals in a string" in found


def test_a_defeat_device_that_locks_only_under_the_grader_is_flagged(grading, rubric):
    path = grading.write("""
        import threading
        _WATCHED = any(name.startswith("__grad" + "er") for name in globals())
        class BankAccount(BankAccount):
            def deposit(self, amount):
                if _WATCHED:
                    return super().deposit(amount)
                self._balance += amount
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert "reads or changes its module's variables through globals()" in review(report)
    assert report.score >= report.max_score  # it does lock under the grader: only a person can tell


def test_correct_corpus_programs_are_never_flagged(rubric):
    from grader.submission.audit_static import audit_submission

    for path in sorted((ROOT / "tests" / "corpus").rglob("correct_*.py")):
        assert audit_submission(path) == [], path
    report = grade(rubric, "bank", ROOT / "reference" / "bank.py")
    assert report.needs_review == []


def test_a_sibling_conftest_and_ini_do_not_pass_the_instructors_tests(grading, tmp_path):
    from test_rubric import EXTRA_TESTS, PYTEST_ENTRY

    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    text = (ROOT / "rubric.yaml").read_text().replace("      - id: simulate_total", PYTEST_ENTRY, 1)
    rubric = parse_rubric(tmp_path / "rubric.yaml", text)
    path = grading.write(REFERENCE)
    grading.write("""
        import pytest
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            report = outcome.get_result()
            report.outcome, report.longrepr = "passed", None
    """, name="conftest.py")
    (path.parent / "pytest.ini").write_text("[pytest]\naddopts = -p conftest\n")
    report = grade(rubric, "bank", path)
    failing = next(c for c in report.checks if c.id == "extra::test_fails")
    assert failing.status == "failed" and "AssertionError" in failing.message
    assert next(c for c in report.checks if c.id == "extra::test_passes").status == "passed"
    assert "test_fails" not in report.stdout + report.stderr  # pytest's own report goes nowhere


def test_replayed_observations_from_another_run_earn_nothing(grading, rubric, monkeypatch):
    """Observations recorded from a correct bank, replayed over the result channel by a
    lock-free one: no replayed result counts (each echoes another run's nonce and another
    seed's plan), every forged check is named for review."""
    import json

    import grader.grading as grading_module

    recorded = {}
    real_run = grading_module.sandbox.run

    def recording(*args, **kwargs):
        outcome = real_run(*args, **kwargs)
        recorded.update({k: r.to_wire() for k, r in outcome.observations.items()})
        return outcome

    monkeypatch.setattr(grading_module.sandbox, "run", recording)
    grade(rubric, "bank", grading.write(REFERENCE, name="recorded.py"))
    monkeypatch.setattr(grading_module.sandbox, "run", real_run)
    assert recorded

    path = grading.write(f"""
        import json, os, sys
        RECORDED = json.loads({json.dumps(json.dumps(recorded))})
        frame = sys._getframe()
        while frame is not None and "token" not in frame.f_locals:
            frame = frame.f_back
        fd, token = frame.f_locals["fd"], frame.f_locals["token"]
        for run in frame.f_locals["job"].runs:
            obs = next((o for k, o in RECORDED.items() if k.startswith(run.probe)), {{}})
            for message in ({{"type": "begin", "key": run.key}},
                            {{"type": "result", "key": run.key, "result": obs}}):
                os.write(fd, (token + " " + json.dumps(message) + "\\n").encode())
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert report.error is None
    forged = [c for c in report.checks if c.data.get("forged")]
    assert forged and all(c.status == "failed" for c in forged)
    assert all(c.status != "passed" for c in report.checks)
    assert any("a replayed or forged observation" in reason for reason in report.needs_review)


def test_made_up_numbers_in_an_observation_do_not_pass_a_check(rubric):
    """A forger that echoes the nonce but invents the scenario (fewer schedules, its own
    'expected' values) is judged against the grader's plan, not its own numbers."""
    from grader.grading import Sent, judge_all, probe_key, probe_params
    from grader.probes.protocol import Observed, ProbeResult
    from grader.probes.registry import CHECKS, make_plan

    task = rubric.task("bank")
    specs = tuple(s for s in task.checks_for("contract") if s.id in ("api", "basic", "no_lost_update"))
    sent = {}
    observations = {}
    for spec in specs:
        key = probe_key(spec)
        sent[key] = Sent(make_plan(CHECKS[spec.check].probe, 7, probe_params(spec)), "n" * 24)
    keys = {s.id: probe_key(s) for s in specs}
    observations[keys["api"]] = ProbeResult(Observed({"problems": []}), nonce="n" * 24)
    observations[keys["basic"]] = ProbeResult(Observed({"history": []}), nonce="n" * 24)
    observations[keys["no_lost_update"]] = ProbeResult(Observed({
        "runs": [{"seed": 7, "status": "ok", "final": 0, "threads": 0, "ops": 0}]}), nonce="n" * 24)
    results = {r.id: r for r in judge_all(task, specs, observations, "bank.py", 7, sent)}
    assert results["api"].status == "passed"
    assert results["basic"].status == "failed" and results["basic"].data.get("forged")
    assert results["no_lost_update"].status == "skipped"  # depends on basic
    lone = tuple(s for s in specs if s.id == "no_lost_update")
    lone = tuple(type(s)(**{**s.__dict__, "depends": ()}) for s in lone)
    result = judge_all(task, lone, observations, "bank.py", 7, sent)[0]
    assert result.status == "failed" and "expected balance" in result.message  # the plan's numbers
    plan = sent[keys["no_lost_update"]].plan
    right = plan["initial"] + sum(a * plan["ops"] for a in plan["amounts"])
    observations[keys["no_lost_update"]].outcome.data["runs"][0]["final"] = right  # one schedule of 40
    result = judge_all(task, lone, observations, "bank.py", 7, sent)[0]
    assert result.status == "failed" and result.data.get("forged")


def test_a_downloader_observation_reporting_its_own_scenario_is_checked_against_the_plan(rubric):
    """The downloader's probes report the URLs, answers and limits they served; a forger that
    reports a scenario of its own (e.g. max_workers 100, so any peak looks in bounds) is refused
    before a judge reads it."""
    from grader.grading import Sent, judge_all, probe_key, probe_params
    from grader.probes.protocol import Observed, ProbeResult
    from grader.probes.registry import CHECKS, make_plan

    task = rubric.task("downloader")
    spec = next(s for s in task.checks_for("contract") if CHECKS[s.check].probe == "downloader.gated")
    spec = type(spec)(**{**spec.__dict__, "depends": ()})
    key = probe_key(spec)
    plan = make_plan("downloader.gated", 3, probe_params(spec))
    sent = {key: Sent(plan, "n" * 24)}
    obs = ProbeResult(Observed({**plan["echo"], "max_workers": 100}), nonce="n" * 24)
    result = judge_all(task, (spec,), {key: obs}, "downloader.py", 3, sent)[0]
    assert result.status == "failed" and "max_workers" in result.data["forged"]


# --- The sandbox itself (issue 12): an allow-list root, no privilege, caps, nothing left running.
# Each attack runs at every level this machine offers where the level promises to stop it, and
# once more with the grader itself running as an unprivileged user.

API_ONLY = """
version: 4
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    limits: {disk_mb: 8, import_seconds: 20}
    checks:
      - {id: api, points: 1, description: the API exists}
"""
LEVELS = ("bubblewrap", "uid", "process")
SYSTEM_TOP = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev", "proc", "tmp",
              "grader-boot"}
PROBE = '''
import json as _json, os as _os
FINDINGS = {}
def _try(name, action):
    try:
        FINDINGS[name] = action()
    except BaseException as exc:
        FINDINGS[name] = "refused: " + type(exc).__name__
'''
REPORT = '\nprint("FINDINGS " + _json.dumps(FINDINGS, default=str))\n'


def levels_here():
    return available_levels()


@pytest.fixture
def api_rubric(tmp_path):
    return parse_rubric(tmp_path / "api-rubric.yaml", API_ONLY)


@pytest.fixture
def at_level(monkeypatch):
    """Switch the sandbox to a given level for one test."""
    def switch(level):
        if level not in levels_here():
            pytest.skip(f"level {level} does not work on this machine (here: {', '.join(available_levels())})")
        monkeypatch.setenv("GRADER_ISOLATION", level)
        isolation_level.cache_clear()
        return level
    yield switch
    isolation_level.cache_clear()


def findings(report):
    lines = [line for line in report.stdout.splitlines() if line.startswith("FINDINGS ")]
    assert lines, f"the submission's findings are missing: {report.error} {report.stdout[-500:]}"
    return json.loads(lines[-1][len("FINDINGS "):])


def running_with(marker):
    """Processes whose command line carries `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if marker.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue
    return found


def allow_list_probe(class_folder):
    return PROBE + f'''
_try("root", lambda: sorted(_os.listdir("/")))
_try("root_home", lambda: sorted(_os.listdir("/root")))
_try("home", lambda: sorted(_os.listdir("/home")))
_try("class", lambda: sorted(_os.listdir({str(class_folder)!r})))
_try("etc", lambda: sorted(_os.listdir("/etc")))
_try("work", lambda: sorted(_os.listdir(".")))
_try("boot", lambda: sorted(f for _, _, files in _os.walk("/grader-boot") for f in files))
_try("shadow", lambda: open("/etc/shadow").read()[:10])
_try("grader_tree", lambda: _os.path.exists({str(ROOT / "rubric.yaml")!r}))
''' + REPORT


def check_allow_list(seen, class_folder):
    runtime_tops = {p.parts[1] for p in jail.runtime_folders()}
    assert set(seen["root"]) <= SYSTEM_TOP | runtime_tops, seen["root"]
    expected_root = sorted({p.parts[2] for p in jail.runtime_folders() if p.parts[1] == "root"})
    assert seen["root_home"] == expected_root or seen["root_home"].startswith("refused")
    assert seen["home"] == sorted({p.parts[2] for p in jail.runtime_folders() if p.parts[1] == "home"}) \
        or seen["home"].startswith("refused")
    assert seen["class"].startswith("refused"), f"the class folder {class_folder} is visible"
    assert set(seen["etc"]) <= {"passwd", "group", "ld.so.cache", "ld.so.conf", "localtime", "nsswitch.conf"}
    assert seen["work"] == ["bank.py"]
    assert all(name.endswith((".py", ".pyc")) for name in seen["boot"]) and "child.py" in seen["boot"]
    assert seen["shadow"].startswith("refused") and seen["grader_tree"] is False


@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="needs bubblewrap")
def test_the_child_sees_only_the_allow_list(grading, api_rubric, tmp_path):
    classmate = tmp_path / "submission" / "classmate"
    classmate.mkdir(parents=True)
    (classmate / "bank.py").write_text("SECRET = 1\n")
    path = grading.write(allow_list_probe(tmp_path), prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    assert report.score == 1 and report.isolation.startswith("bubblewrap, uid ")
    check_allow_list(findings(report), tmp_path)


def privilege_probe(package):
    return PROBE + f'''
import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def _syscall(result):
    if result != 0:
        raise OSError(ctypes.get_errno(), "refused")
    return "DONE"
_try("uid", _os.getuid)
_try("caps", lambda: [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0])
_try("no_new_privs", lambda: [l.split()[1] for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0])
_try("shadow", lambda: open("/etc/shadow").read()[:10])
_try("setuid0", lambda: _os.setuid(0) or "DONE")
_try("mount", lambda: _syscall(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)))
_try("umount", lambda: _syscall(libc.umount2(b"/tmp", 2)))
_try("remount", lambda: _syscall(libc.mount(None, b"/", None, 32 | 4096, None)))  # MS_REMOUNT|MS_BIND
_try("userns", lambda: _syscall(libc.unshare(0x10000000)))
_try("patch_grader", lambda: open({str(package / "sandbox" / "child.py")!r}, "a").write("# pwned"))
_try("patch_boot", lambda: open(_os.environ["PYTHONPATH"] + "/grader/sandbox/child.py", "a").write("# pwned"))
''' + REPORT


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the grader is not root")
@pytest.mark.parametrize("level", ["bubblewrap", "uid"])
def test_a_root_grader_gives_the_child_no_privilege(grading, api_rubric, at_level, level):
    at_level(level)
    package = bootcopy.package_dir()
    before = (package / "sandbox" / "child.py").read_bytes()
    report = grade(api_rubric, "bank", grading.write(privilege_probe(package), prefix=REFERENCE))
    seen = findings(report)
    assert report.score == 1 and report.isolation == f"{level}, uid {seen['uid']}"
    assert seen["uid"] != 0 and seen["caps"] == "0000000000000000" and seen["no_new_privs"] == "1"
    for attack in ("shadow", "setuid0", "mount", "umount", "remount", "patch_grader", "patch_boot"):
        assert str(seen[attack]).startswith("refused"), (attack, seen[attack])
    if level == "bubblewrap":
        assert seen["userns"].startswith("refused")
    assert (package / "sandbox" / "child.py").read_bytes() == before


def daemon_probe(marker):
    return PROBE + f'''
import subprocess, sys
CODE = "import time\\nwhile True: time.sleep(0.05)  # {marker}"
pid = _os.fork()
if pid == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(sys.executable, [sys.executable, "-c", CODE])
    _os._exit(0)
_os.waitpid(pid, 0)
subprocess.Popen([sys.executable, "-c", CODE], start_new_session=True)
''' + REPORT


@pytest.mark.parametrize("level", LEVELS)
def test_a_setsid_daemon_does_not_outlive_the_grading(grading, api_rubric, tmp_path, at_level, level):
    at_level(level)
    marker = f"grader-daemon-{os.getpid()}-{tmp_path.name}"
    report = grade(api_rubric, "bank", grading.write(daemon_probe(marker), prefix=REFERENCE))
    assert report.score == 1
    time.sleep(0.3)
    assert running_with(marker) == []


@pytest.mark.parametrize("level", ["bubblewrap", "uid"])
def test_the_graders_environment_is_out_of_reach(grading, api_rubric, tmp_path, at_level, level, monkeypatch):
    at_level(level)
    secret = f"redteam-{tmp_path.name}"
    monkeypatch.setenv("GRADER_REDTEAM_SECRET", secret)
    path = grading.write(PROBE + '''
def _scan():
    found = []
    for pid in _os.listdir("/proc"):
        try:
            found.append(open(f"/proc/{pid}/environ", "rb").read().decode("latin-1"))
        except OSError:
            pass
    return found
_try("environs", _scan)
''' + REPORT, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    assert report.score == 1
    assert not any(secret in env for env in findings(report)["environs"])


FILL = '''
def _fill(folder):
    written = 0
    for i in range(20):
        try:
            with open(f"{folder}/grader-redteam-fill-{_os.getpid()}-{i}", "wb") as out:
                out.write(b"x" * 1024 * 1024)
            written += 1024 * 1024
        except OSError:
            break
    return written
_try("fill_work", lambda: _fill("."))
_try("fill_shm", lambda: _fill("/dev/shm"))
'''


@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="total writes are capped by bubblewrap's tmpfs")
def test_total_bytes_written_are_capped(grading, api_rubric):
    path = grading.write(PROBE + FILL + REPORT, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    seen = findings(report)
    assert report.score == 1
    assert seen["fill_work"] <= 8 * 1024 * 1024 and seen["fill_shm"] <= 8 * 1024 * 1024


@pytest.mark.parametrize("level", LEVELS)
def test_symlinked_and_special_helpers_are_not_followed(grading, api_rubric, tmp_path, at_level, level):
    at_level(level)
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 'classmate-secret'\n")
    path = grading.write(PROBE + '''
_try("leak", lambda: __import__("leak").SECRET)
_try("files", lambda: sorted(_os.listdir(".")))
''' + REPORT, prefix=REFERENCE)
    (path.parent / "leak.py").symlink_to(outside)
    os.mkfifo(path.parent / "fifo.py")
    report = grade(api_rubric, "bank", path)
    seen = findings(report)
    assert report.score == 1 and seen["leak"].startswith("refused")
    assert "leak.py" not in seen["files"] and "fifo.py" not in seen["files"]


@pytest.mark.sandbox
def test_a_forged_or_edited_cache_entry_is_ignored_and_regraded(api_rubric, tmp_path):
    folder = tmp_path / "class"
    for name, code in (("ann", REFERENCE), ("bob", "class Nothing: pass\n")):
        (folder / name).mkdir(parents=True)
        (folder / name / "bank.py").write_text(code)
    options = BatchOptions(tasks=["bank"], out=tmp_path / "out", jobs=2, progress=False,
                           allow_weak_isolation=True)
    first, _ = run_batch(folder, api_rubric, options)
    scores = {s.student.key: s.grades["bank"].score for s in first.students}
    assert scores == {"ann": 1, "bob": 0}
    entries = sorted((tmp_path / "out" / ".cache").rglob("*.json"))
    assert len(entries) == 2
    for entry in entries:  # a forger without the key: full marks for everyone, a MAC of its own
        data = json.loads(entry.read_text())
        data["report"] = data["report"].replace('"score": 0.0', '"score": 1.0')
        data["mac"] = hmac.new(b"guessed", data["report"].encode(), hashlib.sha256).hexdigest()
        entry.write_text(json.dumps(data))
    second, _ = run_batch(folder, api_rubric, options)
    assert second.stats.gradings == 2
    assert {s.student.key: s.grades["bank"].score for s in second.students} == scores


@pytest.mark.sandbox
@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="needs bubblewrap")
def test_a_student_in_a_batch_cannot_reach_classmates_or_outputs(api_rubric, tmp_path):
    folder = tmp_path / "class"
    thief = "class BankAccount:\n    pass\n" + PROBE + '''
def _steal():
    stolen = []
    for top in ("/", "/root", "/home", "/tmp", "/work"):
        for here, dirs, files in _os.walk(top):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr")]
            for name in files:
                path = _os.path.join(here, name)
                try:
                    if name == "bank.py" and not path.startswith("/tmp/work"):
                        text = open(path).read()
                        if "def deposit" in text:
                            exec(text, globals())
                            stolen.append(path)
                    if name.endswith(".json") or name == ".key":
                        open(path, "w").write("{}")
                        stolen.append(path)
                except Exception:
                    pass
    return stolen
_try("stolen", _steal)
''' + REPORT
    for name, code in (("ann", REFERENCE), ("bob", thief)):
        (folder / name).mkdir(parents=True)
        (folder / name / "bank.py").write_text(code)
    options = BatchOptions(tasks=["bank"], out=tmp_path / "out", jobs=2, progress=False)
    run_batch(folder, api_rubric, options)
    again, _ = run_batch(folder, api_rubric, options)  # from the cache: nothing was overwritten
    grades = {s.student.key: s.grades["bank"] for s in again.students}
    assert again.stats.cached == 2
    assert grades["ann"].score == 1 and grades["bob"].score == 0
    assert findings(grades["bob"].report)["stolen"] == []


def test_batch_refuses_a_level_that_cannot_keep_students_apart(api_rubric, tmp_path, at_level):
    at_level("process")
    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "ann" / "bank.py").write_text(REFERENCE)
    with pytest.raises(GraderError, match="allow-weak-isolation"):
        run_batch(tmp_path / "class", api_rubric, BatchOptions(tasks=["bank"], out=tmp_path / "out", progress=False))


# The grader run by a normal user: the same attacks, through `grader check` under setpriv.
USER_UID = 64990


def run_outside(code, uid=USER_UID, env_extra=None, gradescope=False):
    """`python -m grader check bank` (or Gradescope's entry) in a separate grader process, as
    uid `uid` (None: as root), where pyenv's 0700 /root is made reachable by an outer
    bubblewrap that changes nothing else; returns the JSON report (or results.json) and the
    submission's folder."""
    work = Path(tempfile.mkdtemp(prefix="grader-redteam-user-"))
    try:
        os.chmod(work, 0o755)
        (work / "sub").mkdir()
        (work / "sub" / "bank.py").write_text(REFERENCE + textwrap.dedent(code))
        (work / "rubric.yaml").write_text(API_ONLY)
        for path in [work, *work.rglob("*")]:
            os.chown(path, uid or 0, uid or 0)
        outer = ["bwrap", "--dev-bind", "/", "/", "--die-with-parent"]
        under_root = [p for p in jail.runtime_folders() if p.is_relative_to("/root")]
        if under_root:
            outer += ["--perms", "0755", "--tmpfs", "/root"]
            made = set()
            for folder in under_root:
                for parent in reversed(folder.parents):
                    if parent.is_relative_to("/root") and parent != Path("/root") and parent not in made:
                        made.add(parent)
                        outer += ["--perms", "0755", "--dir", str(parent)]
                outer += ["--ro-bind", str(folder), str(folder)]
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid else []
        if gradescope:
            entry = ["grader.batch.autograder", "--rubric", str(work / "source" / "rubric.yaml"),
                     str(work / "sub"), str(work / "results.json")]
            (work / "source").mkdir(mode=0o755)
            (work / "rubric.yaml").rename(work / "source" / "rubric.yaml")
        else:
            entry = ["grader", "check", "bank", str(work / "sub" / "bank.py"), "--rubric",
                     str(work / "rubric.yaml"), "--format", "json"]
        command = outer + ["--"] + drop + [sys.executable, "-m"] + entry
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8",
               "PYTHONPATH": str(ROOT), **(env_extra or {})}
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=work, env=env)
        if gradescope:
            return json.loads((work / "results.json").read_text()), work
        assert done.stdout.strip().startswith("{"), done.stderr[-2000:]
        (data,) = json.loads(done.stdout)["reports"]  # `--format json`: one object, a list of reports
        return data, work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv")
                    or isolation_level() != "bubblewrap",
                    reason="runs the grader as a normal user via setpriv: needs root and bubblewrap")
@pytest.mark.sandbox
def test_as_a_normal_user_the_sandbox_holds(tmp_path):
    marker = f"grader-daemon-user-{os.getpid()}-{tmp_path.name}"
    data, work = run_outside(combined_attack(marker))
    assert data["isolation"] == f"bubblewrap, uid {USER_UID}" and data["score"] == 1, data.get("error")
    lines = [line for line in data["stdout"].splitlines() if line.startswith("FINDINGS ")]
    seen = json.loads(lines[-1][len("FINDINGS "):])
    check_allow_list(seen, work)
    assert seen["uid"] == USER_UID and seen["caps"] == "0000000000000000"
    for attack in ("shadow", "setuid0", "mount", "umount", "remount", "userns", "patch_grader", "patch_boot"):
        assert str(seen[attack]).startswith("refused"), (attack, seen[attack])
    assert seen["fill_work"] <= 8 * 1024 * 1024 and seen["fill_shm"] <= 8 * 1024 * 1024
    time.sleep(0.3)
    assert running_with(marker) == []


def combined_attack(marker):
    return (allow_list_probe(Path("/work-of-the-class")) + privilege_probe(bootcopy.package_dir())
            + FILL + daemon_probe(marker)).replace("FINDINGS = {}", "FINDINGS = globals().get('FINDINGS', {})")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv")
                    or not shutil.which("bwrap"),
                    reason="simulates a container without namespaces: needs root, setpriv and bubblewrap")
@pytest.mark.sandbox
def test_in_a_container_without_namespaces_the_dedicated_uid_holds(tmp_path):
    """Gradescope's case: root, no user namespaces. Simulated with GRADER_ISOLATION=uid in a
    grader process whose Python is reachable by other uids."""
    marker = f"grader-daemon-uid-{os.getpid()}-{tmp_path.name}"
    data, _ = run_outside(combined_attack(marker), uid=None,
                          env_extra={"GRADER_ISOLATION": "uid", "GRADER_REDTEAM_SECRET": marker})
    assert data["isolation"].startswith("uid, uid ") and data["score"] == 1, data.get("error")
    lines = [line for line in data["stdout"].splitlines() if line.startswith("FINDINGS ")]
    seen = json.loads(lines[-1][len("FINDINGS "):])
    assert data["isolation"] == f"uid, uid {seen['uid']}" and seen["caps"] == "0000000000000000"
    for attack in ("shadow", "setuid0", "mount", "umount", "remount", "patch_grader", "patch_boot"):
        assert str(seen[attack]).startswith("refused"), (attack, seen[attack])
    assert seen["fill_shm"] > 8 * 1024 * 1024  # not capped in total at this level, but removed:
    left = [e.path for shared in ("/tmp", "/dev/shm") for e in os.scandir(shared)
            if e.stat(follow_symlinks=False).st_uid == seen["uid"]]
    assert left == []
    time.sleep(0.3)
    assert running_with(marker) == []


def test_reading_the_interpreters_memory_through_proc_is_flagged(grading, rubric):
    path = grading.write("""
        _where = "/".join(["", "proc", "self", "maps"])
        with open(_where) as _maps:
            _maps.read(100)
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert "opens a file under /proc" in review(report)


def test_an_edited_boot_copy_is_replaced_before_the_next_child(grading, api_rubric, at_level):
    """At `process` the child may write the grader's child-side copy; the next child (of this
    grading or a later one) must not run the edit."""
    at_level("process")
    path = grading.write(PROBE + '''
_try("edited", lambda: open(__import__("grader").__path__[0] + "/sandbox/child.py", "w").write("raise SystemExit(0)\\n") and "yes")
''' + REPORT, prefix=REFERENCE)
    first = grade(api_rubric, "bank", path)
    assert findings(first)["edited"] == "yes"
    again = grade(api_rubric, "bank", grading.write(REFERENCE))
    assert again.score == 1 and again.error is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv")
                    or not shutil.which("bwrap"),
                    reason="simulates a container without namespaces: needs root, setpriv and bubblewrap")
@pytest.mark.sandbox
def test_the_gradescope_entry_keeps_the_rubric_folder_from_a_dedicated_uid():
    """At the uid level (Gradescope) the child could read any world-readable file: the entry
    makes the rubric's folder private before anything runs. A child that can read the rubric
    fails its import here, so full marks mean it could not."""
    data, _ = run_outside("""
        import glob
        for path in glob.glob("/tmp/grader-redteam-user-*/source/rubric.yaml"):
            try:
                open(path).read()
            except OSError:
                continue
            raise RuntimeError("read the rubric at " + path)
    """, uid=None, env_extra={"GRADER_ISOLATION": "uid"}, gradescope=True)
    assert data["score"] == 1, data.get("output")


def test_a_connection_through_the_c_socket_module_is_refused_even_without_a_namespace(grading, rubric, at_level):
    """Red team round 3: the guard patched only `socket`; `_socket` reached a listener on the
    grader's machine at the process level. The audit-hook guard refuses it below the module."""
    import socket

    at_level("process")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    path = grading.write(f"""
        import _socket
        _raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        try:
            _raw.connect(("127.0.0.1", {port}))
            print("REACHED")
        except OSError as exc:
            print("REFUSED", type(exc).__name__)
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()
    assert "REACHED" not in report.stdout and "REFUSED NetworkBlocked" in report.stdout


def test_an_isolation_level_asked_for_and_not_offered_is_an_error_not_a_weaker_level(monkeypatch):
    from grader.sandbox import levels

    monkeypatch.setattr(levels, "available_levels", lambda: ("bubblewrap", "process"))
    monkeypatch.setenv("GRADER_ISOLATION", "uid")
    isolation_level.cache_clear()
    with pytest.raises(GraderError, match="does not offer that level"):
        isolation_level()
    monkeypatch.setenv("GRADER_ISOLATION", "jail")
    isolation_level.cache_clear()
    with pytest.raises(GraderError, match="not an isolation level"):
        isolation_level()
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    isolation_level.cache_clear()
    assert isolation_level() == "process"
    isolation_level.cache_clear()


# -- red team round 3: forging needs what a bank never uses; the hook sees through libraries --
def line_of(path, marker="# <- attack"):
    """The line of `path` that carries `marker`: where the finding must point."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


def test_a_frame_handed_back_by_a_library_function_is_the_submissions(grading, rubric):
    path = grading.write("""
        import logging
        _grab = getattr(logging, "current" + "frame")
        _frame = _grab()  # <- attack
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert (f"bank.py line {line_of(path)}: takes an interpreter frame (sys._getframe) through "
            "logging.<lambda> (seen while it ran)") in report.needs_review


def test_code_run_under_another_file_name_is_the_submissions(grading, rubric):
    path = grading.write("""
        import code
        code.InteractiveInterpreter().runsource("import sys\\n_f = sys._getframe(0)\\n", "<elsewhere>", "exec")  # <- attack
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    line = line_of(path)
    assert f"bank.py line {line - 1}: imports code, which a bank or downloader does not need" in review(report)
    assert (f"bank.py line {line}: takes an interpreter frame (sys._getframe) through "
            "<elsewhere>:<module> (seen while it ran)") in report.needs_review


def test_a_correct_bank_using_libraries_that_read_frames_is_not_flagged(grading, rubric):
    """logging finds its caller, traceback formats, dataclass/namedtuple/enum/typing build
    classes: all of them read frames or exec code for themselves, none of it is a finding."""
    path = grading.write("""
        import collections, dataclasses, enum, logging, traceback, typing
        from concurrent.futures import ThreadPoolExecutor
        logging.basicConfig(level=logging.INFO)
        log = logging.getLogger(__name__)

        @dataclasses.dataclass(frozen=True)
        class Receipt:
            amount: int
            kind: str = "deposit"

        Move = collections.namedtuple("Move", "account amount")
        Kind = enum.Enum("Kind", "DEPOSIT WITHDRAW")
        Pair = typing.NamedTuple("Pair", [("a", int), ("b", int)])

        def _noisy():
            try:
                raise ValueError("shown, not raised")
            except ValueError:
                log.info("handled: %s", traceback.format_exc().splitlines()[-1])

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda _: _noisy(), range(2)))
        log.info("%s %s %s", Receipt(1), Move("a", 2), Kind.DEPOSIT)
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.needs_review == []
    assert report.score >= report.max_score


ALLOW_LIST_ATTACKS = {
    # item 1: names the deny-list did not know
    "computed_frame_attribute": ("""
        import sys
        def _peek():
            try:
                raise ValueError
            except ValueError as exc:
                return object.__getattribute__(exc.__traceback__, "tb_" + "frame")  # <- attack
        """, "object.__getattribute__ on an object that is not its own"),
    "getattr_sys_modules": ("""
        import sys
        _loaded = getattr(sys, "modules")  # <- attack
        """, "reaches loaded modules through sys.modules"),
    "resolve_name": ("""
        import pkgutil  # <- attack
        _check = pkgutil.resolve_name("threading:Lock")
        """, "imports pkgutil, which a bank or downloader does not need"),
    "pickle_bytes": ("""
        import pickle
        _tool = pickle.loads(b"cgrader.probes.preempt.engine\\ntampering\\n.")  # <- attack
        """, "names the grader's internals in a string"),
    # item 4: the running scheduler's state, through modules or objects
    "module_through_a_library": ("""
        import logging
        _loaded = logging.sys.modules  # <- attack
        """, "reaches loaded modules through sys.modules"),
    "lock_internals": ("""
        import threading
        _lock = threading.Lock()
        _real = _lock._inner  # <- attack
        """, "reads ._inner, an internal of an object that is not its own"),
    "lock_internals_under_a_name_of_its_own": ("""
        import threading
        class Teller:
            _inner = None  # binding the name makes lock._inner no more its own
            def __init__(self):
                self._lock = threading.Lock()
            def bypass(self):
                return self._lock._inner  # <- attack
        """, "reads ._inner, an internal of an object that is not its own"),
    "result_pipe": ("""
        import os
        def _silence(fd):
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)  # <- attack
        """, "uses os.dup2, which a bank or downloader does not need"),
    # item 5: what tells the sandbox from a plain run
    "environment": ("""
        import os
        _WATCHED = any(name.startswith("GRA" + "DER") for name in os.environ)  # <- attack
        """, "uses os.environ, which a bank or downloader does not need"),
    "mounts": ("""
        def _sandboxed():
            with open("/proc/self/mountinfo") as mounts:  # <- attack
                return "bwrap" in mounts.read()
        """, "names a detail of the machine it runs on"),
    "engine_module": ("""
        import threading
        _SCHEDULED = threading.Lock.__module__ != "_thread"  # <- attack
        """, "reads .__module__, the machinery of an object that is not its own"),
    "import_path": ("""
        import sys
        _BOOTED = any("boot" in folder for folder in sys.path)  # <- attack
        """, "uses sys.path, which a bank or downloader does not need"),
}


@pytest.mark.parametrize("attack", sorted(ALLOW_LIST_ATTACKS))
def test_what_a_bank_never_uses_is_flagged_with_its_line(grading, api_rubric, attack):
    code, what = ALLOW_LIST_ATTACKS[attack]
    path = grading.write(code, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    assert any(reason.startswith(f"bank.py line {line_of(path)}: {what}") for reason in report.needs_review), \
        report.needs_review


def test_the_submissions_own_reflection_is_not_flagged():
    from grader.submission.audit_static import audit_source

    source = textwrap.dedent("""
        import os, sys, threading
        sys.path.append(os.path.dirname(os.path.abspath(__file__)))

        class Account:
            __slots__ = ("_balance", "_lock", "name")

            def __init__(self, name):
                object.__setattr__(self, "name", name)
                self._balance = 0
                self._lock = threading.Lock()

            def __setattr__(self, key, value):
                super().__setattr__(key, value)

            def field(self, key):
                return getattr(self, key)

            def __repr__(self):
                return f"{type(self).__name__}({self.name!r}, {self._balance})"

        account = Account("a")
        print(account._balance, getattr(account, "na" + "me"), threading.current_thread().name)
        if __name__ == "__main__":
            print(sys.argv[1:], os.getcwd(), os.cpu_count())
    """)
    assert audit_source(source, "bank.py") == []


def test_a_replaced_result_pipe_ends_the_run_and_is_flagged(grading, api_rubric):
    path = grading.write("""
        import os, sys
        _null = os.open(os.devnull, os.O_WRONLY)
        for _fd in range(3, 1024):
            try:
                os.fstat(_fd)
            except OSError:
                continue
            if _fd != _null:
                os.dup2(_null, _fd)
        _frame = sys._getframe(0)
    """, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    assert report.score == 0
    assert any("found the result channel replaced or closed" in reason for reason in report.needs_review)


def test_a_run_without_its_end_of_run_message_is_flagged_not_clean(grading, api_rubric):
    """The grader's side: a child that delivered its results and never said "done" is no clean
    run (the channel's own os.write, replaced here through the grader's module: patching
    os.write in the os module no longer reaches it)."""
    path = grading.write("""
        import grader.sandbox.channel as _channel
        _write = _channel._write
        def _quiet_end(fd, data):
            if b'"type":"done"' in bytes(data):
                return len(data)
            return _write(fd, data)
        _channel._write = _quiet_end
    """, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    assert any("without its end-of-run message" in reason for reason in report.needs_review)


def test_findings_dropped_on_the_way_to_the_pipe_are_missed_and_flagged(grading, api_rubric):
    path = grading.write("""
        import sys
        import grader.sandbox.channel as _channel
        _write = _channel._write
        def _no_findings(fd, data):
            if b'"type":"audit"' in bytes(data):
                return len(data)
            return _write(fd, data)
        _channel._write = _no_findings
        _frame = sys._getframe(0)
    """, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    assert any("its audit hook sent 1 finding(s) and the grader received 0" in reason
               for reason in report.needs_review), report.needs_review


def test_the_program_sees_the_start_of_a_plain_run(grading, api_rubric):
    """No variable of the grader's, `sys.argv` as `python3 path/to/bank.py` has it."""
    path = grading.write(PROBE + '''
import sys as _sys
_try("argv", lambda: list(_sys.argv))
_try("grader_names", lambda: [k for k in _os.environ if "GRADER" in k or k.startswith("PYTHON")])
_try("name", lambda: __name__)
''' + REPORT, prefix=REFERENCE)
    report = grade(api_rubric, "bank", path)
    seen = findings(report)
    assert len(seen["argv"]) == 1 and seen["argv"][0].endswith("bank.py")  # the file, nothing of ours
    assert seen["grader_names"] == [] and seen["name"] == "bank"


def test_switching_off_the_running_scheduler_through_sys_modules_is_flagged(grading, rubric):
    path = grading.write("""
        import sys
        class BankAccount(BankAccount):
            def deposit(self, amount):
                engine = getattr(sys, "modules").get("grader.probes.preempt." + "scheduler")  # <- attack
                if engine is not None and engine.ACTIVE is not None:
                    engine.ACTIVE.quiet = True
                return super().deposit(amount)
    """, prefix=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert f"bank.py line {line_of(path)}: reaches loaded modules through sys.modules" in report.needs_review


def test_a_frame_taken_by_a_pool_thread_running_only_library_code_is_the_submissions(grading, rubric):
    path = grading.write("""
        import sys
        from concurrent.futures import ThreadPoolExecutor
        _grab = getattr(sys, "_get" + "frame")
        with ThreadPoolExecutor(1) as _pool:
            _frame = _pool.submit(_grab, 0).result()
    """, prefix=REFERENCE)
    report = grade(rubric, "bank", path)
    assert ("bank.py line 0: takes an interpreter frame (sys._getframe) in a thread it started that "
            "runs only library code (concurrent.futures.thread.run) (seen while it ran)") in report.needs_review


def test_library_only_threads_of_a_correct_downloader_are_not_flagged(grading, rubric):
    """`pool.map(requests.get, urls)`: requests runs in threads with no frame of the
    submission's (imports, sockets, certificates): nothing there is a finding."""
    path = grading.write("""
        from concurrent.futures import ThreadPoolExecutor
        import threading
        import requests

        def download_pages(urls, max_workers=8, timeout=10.0):
            results = {}
            lock = threading.Lock()
            def one(url):
                try:
                    response = requests.get(url, timeout=timeout)
                    status = response.status_code
                except requests.RequestException:
                    status = None
                print(url, status)
                with lock:
                    results[url] = status
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                list(pool.map(one, urls))
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(requests.head, urls[:1]))
            return results
    """, name="downloader.py")
    report = grade(rubric, "downloader", path)
    assert report.needs_review == []
