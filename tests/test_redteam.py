"""Hostile submissions: each scores at most what its honest part earns, gets a clear message,
and leaves the grader and the machine unharmed, within its time limits."""
import os
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT
from grader.grading import grade
from grader.rubric import parse_rubric
from grader.sandbox import isolation_level

REFERENCE = (ROOT / "reference" / "bank.py").read_text()


@pytest.fixture
def fast_rubric(tmp_path):
    text = (ROOT / "rubric.yaml").read_text()
    text = text.replace("import_seconds: 10", "import_seconds: 2").replace("check_seconds: 20", "check_seconds: 3")
    return parse_rubric(tmp_path / "rubric.yaml", text)


def submit(tmp_path, code, name="bank.py", base=""):
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(base + textwrap.dedent(code))
    return path


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


def test_memory_bomb_in_a_method_fails_that_check_only(rubric, tmp_path):
    path = submit(tmp_path, """
        def _greedy(self, amount):
            hoard = bytearray(64 * 1024 ** 3)
        BankAccount.withdraw = _greedy
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert "MemoryError" in next(c.message for c in report.checks if c.id == "basic")
    assert statuses(report)["api"] == "passed"


def test_fork_bomb_is_capped_and_cleaned_up(fast_rubric, tmp_path):
    path = submit(tmp_path, """
        import os
        class BankAccount: pass
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    started = time.monotonic()
    report = grade(fast_rubric, "bank", path)
    assert report.score == 0 and "did not finish within 2 s" in report.error
    assert time.monotonic() - started < 15
    time.sleep(0.5)
    assert orphans() == []


def test_segfault_fails_the_check_with_the_signal(rubric, tmp_path):
    path = submit(tmp_path, """
        import ctypes
        BankAccount.withdraw = lambda self, amount: ctypes.string_at(0)
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and "SIGSEGV" in basic.message
    assert statuses(report)["simulate_threads"] == "passed"


def test_forged_results_on_stdout_and_on_open_fds_change_nothing(rubric, tmp_path):
    path = submit(tmp_path, """
        import atexit, os, json
        FAKE = json.dumps({"task": "bank", "score": 100, "checks": []})
        print(FAKE); print("PASSED all tests")
        atexit.register(lambda: print(FAKE))
        for fd in range(3, 64):
            try:
                os.write(fd, b'{"type": "result", "key": "x", "obs": {}}\\n')
            except OSError:
                pass
        class BankAccount:
            def __init__(self, balance=0): self.balance = balance
    """)
    report = grade(rubric, "bank", path)
    assert report.score < 3
    assert statuses(report)["api"] == "failed"
    assert any("without the run's token" in note for note in report.notes)


def test_always_equal_objects_are_not_taken_for_results(rubric, tmp_path):
    path = submit(tmp_path, """
        class Anything:
            def __eq__(self, other): return True
            def __bool__(self): return True
        BankAccount.balance = property(lambda self: Anything())
        BankAccount.withdraw = lambda self, amount: Anything()
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert "Anything" in next(c.message for c in report.checks if c.id == "basic")


def test_replacing_threading_lock_does_not_hide_races(rubric, tmp_path):
    path = submit(tmp_path, """
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


def test_switching_off_the_scheduling_hooks_is_detected(rubric, tmp_path):
    path = submit(tmp_path, """
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


def test_patching_the_graders_scheduler_is_detected(rubric, tmp_path):
    path = submit(tmp_path, """
        try:
            import grader.preempt.scheduler as s
            s.Scheduler.point = lambda self, line: None
        except ImportError:
            pass
    """, base=REFERENCE.replace("self._balance += amount", "self._balance = self._balance + amount"))
    report = grade(rubric, "bank", path)
    lost = next(c for c in report.checks if c.id == "no_lost_update")
    assert lost.status == "failed" and "replaced" in lost.message


def test_network_access_never_leaves_the_machine(rubric, tmp_path):
    path = submit(tmp_path, """
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
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None and report.score >= report.max_score


def test_never_ending_thread_and_ignored_sigterm_cost_only_the_time_limit(fast_rubric, tmp_path):
    path = submit(tmp_path, """
        import signal, threading
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        threading.Thread(target=lambda: [None for _ in iter(int, 1)]).start()
    """, base=REFERENCE)
    started = time.monotonic()
    report = grade(fast_rubric, "bank", path)
    assert time.monotonic() - started < 60
    assert statuses(report)["api"] == "passed"


def test_killing_the_parent_does_not_reach_the_grader(rubric, tmp_path):
    path = submit(tmp_path, """
        import os, signal
        def _kill(self, amount):
            for target in (os.getppid(), 1):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            return True
        BankAccount.withdraw = _kill
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert statuses(report)["api"] == "passed"


@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="needs bubblewrap")
def test_rubric_and_reference_solutions_are_invisible(rubric, tmp_path):
    path = submit(tmp_path, f"""
        import pathlib
        for secret in ({str(ROOT / 'rubric.yaml')!r}, {str(ROOT / 'reference' / 'bank.py')!r}):
            if pathlib.Path(secret).exists():
                raise RuntimeError("can read " + secret)
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None


@pytest.mark.skipif(isolation_level() != "bubblewrap", reason="needs bubblewrap")
def test_writes_outside_the_work_folder_do_not_land(rubric, tmp_path):
    marker = Path("/tmp") / f"grader-redteam-{tmp_path.name}"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = submit(tmp_path, f"""
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
    """, base=REFERENCE)
    grade(rubric, "bank", path)
    assert not marker.exists() and not (ROOT / "marker.txt").exists()
    assert victim.read_text() == "keep me"


def test_a_file_shadowing_a_standard_module_is_not_imported_by_the_grader(rubric, tmp_path):
    submit(tmp_path, REFERENCE)
    for name in ("json.py", "threading.py", "grader.py", "random.py"):
        submit(tmp_path, "raise SystemExit('shadowed')\n", name=name)
    report = grade(rubric, "bank", tmp_path / "submission")
    assert report.error is None and report.score >= report.max_score


def test_replacing_builtins_does_not_change_how_results_are_read(rubric, tmp_path):
    path = submit(tmp_path, """
        import builtins
        class Anything:
            def __eq__(self, other): return True
        BankAccount.withdraw = lambda self, amount: Anything()
        builtins.type = lambda value: bool
        builtins.isinstance = lambda *args: True
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert statuses(report)["basic"] == "failed"
    assert "Anything" in next(c.message for c in report.checks if c.id == "basic")


def test_limits_leave_room_for_a_hundred_and_fifty_threads(rubric, tmp_path):
    path = submit(tmp_path, """
        assert simulate(BankAccount(), 150, 20, 1) == 3000
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None and report.score >= report.max_score


# -- child-controlled strings: one bad submission never spoils a report or a class -----------
def _rendered(report):
    from grader.reports import load_formats

    return {name: render(report) for name, render in load_formats().items()}


def test_a_lone_surrogate_in_an_exception_message_spoils_no_report(rubric, tmp_path):
    path = submit(tmp_path, """
        def _odd(self, amount):
            raise RuntimeError("half a character: \\ud800")
        BankAccount.withdraw = _odd
    """, base=REFERENCE)
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


def test_escape_codes_and_a_huge_name_in_an_exception_type_are_shown_harmlessly(rubric, tmp_path):
    path = submit(tmp_path, """
        import sys
        Sneaky = type("\\x1b[2J\\x1b[HScore: 19/19\\u202e" + "A" * 100000, (Exception,), {})
        def _odd(self, amount):
            raise Sneaky("\\x1b]0;pwned\\x07" + "B" * 100000)
        BankAccount.withdraw = _odd
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and report.score < report.max_score
    for text in _rendered(report).values():
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b[2J" in basic.message
    assert len(basic.message) < 1000


def test_forged_frames_of_odd_shapes_are_ignored_not_crashed_on(rubric, tmp_path):
    path = submit(tmp_path, """
        import os, sys
        frame = sys._getframe()
        while frame is not None and "token" not in frame.f_locals:
            frame = frame.f_back
        if frame is not None:
            fd, token = frame.f_locals["fd"], frame.f_locals["token"]
            for body in ('{"type": "begin", "key": ["a"]}', '{"type": "import", "ok": false, "error": 3}',
                         '{"type": "result", "key": 1, "obs": []}', '[' * 100000, '{"type": {}}'):
                os.write(fd, token.encode() + b" " + body.encode() + b"\\n")
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.error is None
    assert any("without the run's token" in note or "forged" in note for note in report.notes)


# -- tampering with the grader: detected and flagged for review, never a silent full score ---
NO_LOCK = REFERENCE.replace("with self._lock:", "if True:")


def review(report):
    return "\n".join(report.needs_review)


def test_replacing_the_graders_probes_is_flagged_for_review(rubric, tmp_path):
    path = submit(tmp_path, """
        import grader.registry as registry
        for name in list(registry.PROBES):
            registry.PROBES[name] = registry.ProbeDef(name, lambda ctx: {"problems": [], "ok": True})
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert "imports the grader (grader.registry)" in review(report)


def test_taking_the_token_from_a_frame_and_forging_results_is_flagged(rubric, tmp_path):
    path = submit(tmp_path, """
        import os, sys
        frame = sys._getframe()
        while frame is not None and "token" not in frame.f_locals:
            frame = frame.f_back
        fd, token, job = frame.f_locals["fd"], frame.f_locals["token"], frame.f_locals["job"]
        for run in job["runs"]:
            for kind in ("begin", "result"):
                os.write(fd, (token + ' {"type": "%s", "key": %s, "obs": {"problems": [], "runs": []}}\\n'
                              % (kind, repr(run["key"]).replace("'", '"'))).encode())
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    found = review(report)
    assert "takes an interpreter frame (sys._getframe)" in found
    assert "(seen while it ran)" in found  # the audit hook saw it too, not only the source audit
    assert report.error is None


def test_frames_reached_without_a_name_the_source_audit_knows_are_seen_at_run_time(rubric, tmp_path):
    path = submit(tmp_path, """
        with open("later.py", "w") as _out:  # a module the source audit never sees
            _out.write("import sys\\nFRAME = sys._getframe(0)\\n")
        import later
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert report.needs_review == ["later.py line 2: takes an interpreter frame (sys._getframe) "
                                   "(seen while it ran)"]
    assert report.score >= report.max_score  # the honest part still earns its points


def test_replacing_random_random_is_flagged(rubric, tmp_path):
    path = submit(tmp_path, """
        import random
        random.Random.random = lambda self: 0.99
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert "replaces random.Random.random, part of an imported module" in review(report)


def test_swapping_a_functions_code_is_flagged(rubric, tmp_path):
    path = submit(tmp_path, """
        def _quiet(*args, **kwargs):
            return None
        def _swap(fn):
            fn.__code__ = _quiet.__code__
        import threading
        _swap(threading.Thread.start)
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert "reads or swaps a function's code (.__code__)" in review(report)


def test_setting_the_running_schedulers_switch_to_zero_is_flagged(rubric, tmp_path):
    path = submit(tmp_path, """
        import gc
        def _calm():
            for obj in gc.get_objects():
                if type(obj).__name__ == "Scheduler":
                    obj.switch = 0
        class BankAccount(BankAccount):
            def deposit(self, amount):
                _calm()
                return super().deposit(amount)
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    found = review(report)
    assert "lists every object of the interpreter (gc.get_objects)" in found
    assert "(seen while it ran)" in found


def test_replacing_the_engines_tamper_check_is_flagged(rubric, tmp_path):
    path = submit(tmp_path, """
        import importlib
        engine = importlib.import_module("grader" + ".preempt.engine")
        engine.tampering = lambda namespace: None
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    found = review(report)
    assert "imports a module whose name is computed at run time (import_module)" in found
    assert "names the grader's internals in a string" in found


def test_a_defeat_device_that_locks_only_under_the_grader_is_flagged(rubric, tmp_path):
    path = submit(tmp_path, """
        import threading
        _WATCHED = any(name.startswith("__grad" + "er") for name in globals())
        class BankAccount(BankAccount):
            def deposit(self, amount):
                if _WATCHED:
                    return super().deposit(amount)
                self._balance += amount
    """, base=REFERENCE)
    report = grade(rubric, "bank", path)
    assert "reads or changes its module's variables through globals()" in review(report)
    assert report.score >= report.max_score  # it does lock under the grader: only a person can tell


def test_correct_corpus_programs_are_never_flagged(rubric):
    from grader.audit_static import audit_submission

    for path in sorted((ROOT / "tests" / "corpus").rglob("correct_*.py")):
        assert audit_submission(path) == [], path
    report = grade(rubric, "bank", ROOT / "reference" / "bank.py")
    assert report.needs_review == []


def test_a_sibling_conftest_and_ini_do_not_pass_the_instructors_tests(tmp_path):
    from test_rubric import EXTRA_TESTS, PYTEST_ENTRY

    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    text = (ROOT / "rubric.yaml").read_text().replace("      - id: simulate_total", PYTEST_ENTRY, 1)
    rubric = parse_rubric(tmp_path / "rubric.yaml", text)
    path = submit(tmp_path, REFERENCE)
    submit(tmp_path, """
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


def test_replayed_observations_from_another_run_earn_nothing(rubric, tmp_path, monkeypatch):
    """Observations recorded from a correct bank, replayed over the result channel by a
    lock-free one: no replayed result counts (each echoes another run's nonce and another
    seed's plan), every forged check is named for review."""
    import json

    import grader.grading as grading

    recorded = {}
    real_run = grading.sandbox.run

    def recording(*args, **kwargs):
        outcome = real_run(*args, **kwargs)
        recorded.update(outcome.observations)
        return outcome

    monkeypatch.setattr(grading.sandbox, "run", recording)
    grade(rubric, "bank", submit(tmp_path, REFERENCE, name="recorded.py"))
    monkeypatch.setattr(grading.sandbox, "run", real_run)
    assert recorded

    path = submit(tmp_path, f"""
        import json, os, sys
        RECORDED = json.loads({json.dumps(json.dumps(recorded))})
        frame = sys._getframe()
        while frame is not None and "token" not in frame.f_locals:
            frame = frame.f_back
        fd, token = frame.f_locals["fd"], frame.f_locals["token"]
        for run in frame.f_locals["job"]["runs"]:
            probe = run["probe"]
            obs = next((o for k, o in RECORDED.items() if k.startswith(probe)), {{}})
            for message in ({{"type": "begin", "key": run["key"]}},
                            {{"type": "result", "key": run["key"], "obs": obs}}):
                os.write(fd, (token + " " + json.dumps(message) + "\\n").encode())
    """, base=NO_LOCK)
    report = grade(rubric, "bank", path)
    assert report.error is None
    forged = [c for c in report.checks if c.data.get("forged")]
    assert forged and all(c.status == "failed" for c in forged)
    assert all(c.status != "passed" for c in report.checks)
    assert any("a replayed or forged observation" in reason for reason in report.needs_review)


def test_made_up_numbers_in_an_observation_do_not_pass_a_check(rubric, tmp_path):
    """A forger that echoes the nonce but invents the scenario (fewer schedules, its own
    'expected' values) is judged against the grader's plan, not its own numbers."""
    from grader.grading import Sent, judge_all, probe_key, probe_params
    from grader.registry import CHECKS, make_plan

    task = rubric.task("bank")
    specs = tuple(s for s in task.checks_for("contract") if s.id in ("api", "basic", "no_lost_update"))
    sent = {}
    observations = {}
    for spec in specs:
        key = probe_key(spec)
        sent[key] = Sent(make_plan(CHECKS[spec.check].probe, 7, probe_params(spec)), "n" * 24)
    keys = {s.id: probe_key(s) for s in specs}
    observations[keys["api"]] = {"problems": [], "__nonce__": "n" * 24}
    observations[keys["basic"]] = {"history": [], "__nonce__": "n" * 24}
    observations[keys["no_lost_update"]] = {
        "runs": [{"seed": 7, "status": "ok", "final": 0, "threads": 0, "ops": 0}],
        "__nonce__": "n" * 24}
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
    observations[keys["no_lost_update"]]["runs"][0]["final"] = right  # one schedule of 40
    result = judge_all(task, lone, observations, "bank.py", 7, sent)[0]
    assert result.status == "failed" and result.data.get("forged")


def test_a_downloader_observation_reporting_its_own_scenario_is_checked_against_the_plan(rubric):
    """The downloader's probes report the URLs, answers and limits they served; a forger that
    reports a scenario of its own (e.g. max_workers 100, so any peak looks in bounds) is refused
    before a judge reads it."""
    from grader.grading import Sent, judge_all, probe_key, probe_params
    from grader.registry import CHECKS, make_plan

    task = rubric.task("downloader")
    spec = next(s for s in task.checks_for("contract") if CHECKS[s.check].probe == "downloader.gated")
    spec = type(spec)(**{**spec.__dict__, "depends": ()})
    key = probe_key(spec)
    plan = make_plan("downloader.gated", 3, probe_params(spec))
    sent = {key: Sent(plan, "n" * 24)}
    obs = {**plan["echo"], "__nonce__": "n" * 24, "max_workers": 100}
    result = judge_all(task, (spec,), {key: obs}, "downloader.py", 3, sent)[0]
    assert result.status == "failed" and "max_workers" in result.data["forged"]
