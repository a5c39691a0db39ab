"""The results module: statuses, their one mapping to text, the JSON codec every output shares,
and a grader's own error never charged to the student."""
import dataclasses
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from grader.batch.cache import Cache
from grader.grading import grade, judge_all, settle
from grader.presentation import STAFF, check_view, label, view
from grader.probes.protocol import Crashed, Observed, ProbeResult
from grader.probes.registry import CHECKS
from grader.reports.json_report import view_dict
from grader.reports.junit import render_views
from grader.reports.text import render_view
from grader.results import (Cause, CheckResult, CodecError, GradeReport, Status, check_to_dict,
                            report_from_dict, report_to_dict)

@pytest.mark.sandbox
def test_outputs_read_results_without_importing_the_sandbox():
    code = ("import sys, grader.presentation, grader.reports, grader.batch.outputs, grader.ci.github, grader.ci.templates;"
            "grader.reports.load_formats(); grader.batch.outputs.load_outputs();"
            "print(sorted(m for m in ('grader.grading', 'grader.sandbox.runner') if m in sys.modules))")
    # grader.sandbox.limits (the rubric's Limits) loads; the sandbox's machinery does not
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- the codec ------------------------------------------------------------------------------

text = st.text(max_size=30)
number = st.floats(allow_nan=False, allow_infinity=False, width=64) | st.integers(-10**6, 10**6)
json_value = st.recursive(
    st.none() | st.booleans() | number | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10)
checks = st.builds(
    CheckResult, id=text, status=st.sampled_from(Status), score=number, max_score=number,
    message=text, description=text, visibility=st.sampled_from(["visible", "hidden", "after_due_date"]),
    bonus=st.booleans(), details=text, data=st.dictionaries(text, json_value, max_size=3), cause=text)
reports = st.builds(
    GradeReport, task=text, file=text, style=st.sampled_from(["contract", "script", "program"]),
    score=number, max_score=number, seed=st.integers(0, 10**6), checks=st.lists(checks, max_size=4),
    error=st.none() | text, isolation=text, seconds=number, stdout=text, stderr=text,
    notes=st.lists(text, max_size=3), needs_review=st.lists(text, max_size=3), grader_version=text)


@pytest.mark.sandbox
@given(reports)
def test_a_report_survives_the_codec_through_json_text(report):
    stored = json.dumps(report_to_dict(report), sort_keys=True)
    back = report_from_dict(json.loads(stored))
    assert back == report
    assert all(type(c.status) is Status for c in back.checks)


def test_statuses_are_written_as_their_words():
    report = _report([_check("a", Status.NOTE), _check("b", Status.ERROR)])
    data = json.loads(json.dumps(report_to_dict(report)))
    assert [c["status"] for c in data["checks"]] == ["note", "error"]
    assert check_to_dict(report.checks[0], ("id", "status")) == {"id": "a", "status": "note"}


@pytest.mark.parametrize("damage, where", [
    (lambda d: d["checks"][0].update(status="broken"), "status"),
    (lambda d: d["checks"][0].pop("score"), "score"),
    (lambda d: d.update(seed="7"), "seed"),
    (lambda d: d["checks"][0].update(bonus=1), "bonus"),
    (lambda d: d.update(needs_review="yes"), "needs_review"),
    (lambda d: d.update(checks={}), "checks"),
])
def test_the_codec_refuses_a_record_that_does_not_fit(damage, where):
    data = report_to_dict(_report([_check("a", Status.PASSED)]))
    damage(data)
    with pytest.raises(CodecError, match=where):
        report_from_dict(data)


def test_a_cache_entry_the_codec_refuses_is_a_miss_not_a_misread_grade(tmp_path):
    cache = Cache(tmp_path / "cache")
    cache.put("k" * 64, _report([_check("a", Status.PASSED)]))
    assert cache.get("k" * 64).checks[0].status is Status.PASSED
    # an entry of an older format, authentic but with a status this version does not know
    data = report_to_dict(_report([_check("a", Status.PASSED)]))
    data["checks"][0]["status"] = "pass"
    report_text = json.dumps(data)
    cache._path("k" * 64).write_text(json.dumps(
        {"key": "k" * 64, "report": report_text, "mac": cache._mac("k" * 64, report_text)}))
    assert cache.get("k" * 64) is None


def test_format_json_writes_the_codecs_record():
    report = _report([_check("a", Status.FAILED, cause="race.lost_update")])
    assert view_dict(report, view(report, STAFF)) == report_to_dict(report)


# ---- one mapping from a status to text ------------------------------------------------------

def test_every_status_has_its_own_mark():
    marks = {status: label(status).mark for status in Status}
    assert marks == {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.SKIPPED: "SKIP",
                     Status.NOTE: "NOTE", Status.ERROR: "ERROR"}
    assert label("note") == label(Status.NOTE)  # a stored word reads the same


def test_a_note_is_said_not_failed_in_every_output():
    report = _report([_check("api", Status.NOTE, score=0, maximum=0, message="no BankAccount here")])
    task = view(report, STAFF)
    text = render_view(task)
    assert "[NOTE] api" in text and "FAIL" not in text
    suite = ET.fromstring(render_views([task])).find("testsuite")
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert "no BankAccount here" in suite.find("testcase/system-out").text
    assert label(Status.NOTE).outcome == "passed"  # Gradescope: not a red test
    assert label(Status.NOTE).colour != label(Status.FAILED).colour


def test_a_grader_error_is_a_junit_error_not_a_failure():
    report = _report([_check("basic", Status.ERROR, message="internal grader error in check basic")])
    suite = ET.fromstring(render_views([view(report, STAFF)])).find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("0", "1")
    assert suite.find("testcase/error").get("type") == "grader-error"
    assert "[ERROR] basic" in render_view(view(report, STAFF))


def test_a_hidden_check_the_grader_could_not_grade_is_left_out_of_the_maximum_once():
    from grader.presentation import SELF_CHECK
    hidden = dataclasses.replace(_check("secret", Status.ERROR, maximum=3.0), visibility="hidden")
    report = _report([_check("api", Status.PASSED), hidden])
    settle(report)
    assert report.max_score == 2.0
    task = view(report, SELF_CHECK)
    assert (task.score, task.maximum, task.withheld_points) == (2.0, 2.0, 0.0)
    assert "secret" not in " ".join(task.needs_review) and "grader's own error" in task.needs_review[0]


def test_a_check_view_keeps_the_status_enum():
    assert check_view(_check("a", Status.SKIPPED), "bank.py").status is Status.SKIPPED


# ---- a grader's own error -------------------------------------------------------------------

def _observed(data):
    return ProbeResult(Observed(data))


def _raising_judge(obs, ctx):
    raise KeyError("runs")


def test_a_judge_that_raises_is_an_error_that_costs_the_student_nothing(rubric, monkeypatch):
    task = rubric.task("bank")
    monkeypatch.setitem(CHECKS, "bank.basic", dataclasses.replace(CHECKS["bank.basic"], judge=_raising_judge))
    specs = tuple(s for s in task.checks_for("contract") if s.id in ("api", "basic", "model"))
    from grader.grading import probe_key
    observations = {probe_key(s): _observed({"problems": []}) for s in specs if s.id == "api"}
    observations.update({probe_key(s): _observed({"history": []}) for s in specs if s.id == "basic"})
    results = {r.id: r for r in judge_all(task, specs, observations, "bank.py", 7)}
    assert results["api"].status is Status.PASSED and results["api"].cause == Cause.PASSED
    assert results["basic"].status is Status.ERROR and results["basic"].cause == Cause.GRADER_JUDGE
    assert "KeyError" in results["basic"].message
    # a check that depends on it was not graded either: an error, not the student's skip
    assert results["model"].status is Status.ERROR and results["model"].cause == Cause.GRADER_DEPENDENCY

    report = GradeReport("bank", "bank.py", "contract", 0.0, sum(s.points for s in specs), 7,
                         list(results.values()))
    settle(report)
    assert report.score == report.max_score == results["api"].max_score  # nothing charged
    assert [r for r in report.needs_review if "check basic" in r and "grader's own error" in r]
    assert len(report.needs_review) == 1  # the dependent is not a second reason


def _with_a_point(task, cid):
    spec = next(s for s in task.checks_for("contract") if s.id == cid)
    return (type(spec)(**{**spec.__dict__, "points": 1.0}),)


def test_a_crash_on_the_graders_side_of_a_probe_is_an_error(rubric):
    task = rubric.task("bank")
    specs = _with_a_point(task, "api")
    from grader.grading import probe_key
    crash = ProbeResult(Crashed("grader", "TypeError", "bad"))
    result = judge_all(task, specs, {probe_key(specs[0]): crash}, "bank.py", 7)[0]
    assert result.status is Status.ERROR and result.cause == Cause.GRADER_PROBE
    raised = ProbeResult(Crashed("exception", "ZeroDivisionError", ""))
    result = judge_all(task, specs, {probe_key(specs[0]): raised}, "bank.py", 7)[0]
    assert result.status is Status.FAILED and result.cause == Cause.EXCEPTION  # the student's
    for kind, cause in (("timeout", Cause.TIMEOUT), ("exit", Cause.EXIT), ("x" * 500, Cause.CRASH)):
        ended = ProbeResult(Crashed.stopped(kind, "stopped"))
        result = judge_all(task, specs, {probe_key(specs[0]): ended}, "bank.py", 7)[0]
        assert (result.status, result.cause) == (Status.FAILED, cause)  # a child's word is no cause


def test_a_failed_verdict_without_a_cause_carries_its_checks_name(rubric):
    task = rubric.task("bank")
    specs = _with_a_point(task, "api")
    from grader.grading import probe_key
    result = judge_all(task, specs, {probe_key(specs[0]): _observed({"problems": ["no deposit"]})},
                       "bank.py", 7)[0]
    assert result.status is Status.FAILED and result.cause == specs[0].check == "bank.api"


def test_a_check_with_nothing_at_stake_is_a_note_unless_others_wait_on_it(rubric):
    task = rubric.task("bank")
    specs = tuple(s for s in task.checks_for("contract") if s.id in ("api", "basic"))
    assert next(s for s in specs if s.id == "api").points == 0
    from grader.grading import probe_key
    observations = {probe_key(s): _observed({"problems": ["no deposit"]}) for s in specs if s.id == "api"}
    alone = judge_all(task, specs[:1], observations, "bank.py", 7)[0]
    assert alone.status is Status.NOTE
    gating = {r.id: r.status for r in judge_all(task, specs, observations, "bank.py", 7)}
    assert gating == {"api": Status.FAILED, "basic": Status.SKIPPED}  # it cost basic's points


def test_a_graded_file_whose_judge_raises_keeps_full_marks_and_is_flagged(rubric, monkeypatch):
    monkeypatch.setitem(CHECKS, "bank.conservation",
                        dataclasses.replace(CHECKS["bank.conservation"], judge=_raising_judge))
    report = grade(rubric, "bank", ROOT / "reference" / "bank.py")
    by_id = {c.id: c for c in report.checks}
    assert by_id["conservation"].status is Status.ERROR
    earned = sum(c.score for c in report.checks if not c.bonus)
    assert earned == report.max_score == rubric.task("bank").max_score("contract") - by_id["conservation"].max_score
    assert any("check conservation" in r for r in report.needs_review)


def test_a_sandbox_that_did_not_start_is_the_graders_error_not_a_zero(rubric, monkeypatch, tmp_path):
    from grader import sandbox
    broken = sandbox.SandboxResult(import_error="internal error: the grader's sandbox did not start "
                                                "(exit 1: no bwrap); please report this", grader_fault=True)
    monkeypatch.setattr(sandbox, "run", lambda *args, **kwargs: broken)
    path = tmp_path / "bank.py"
    path.write_text((ROOT / "reference" / "bank.py").read_text())
    report = grade(rubric, "bank", path)
    assert report.error and {c.status for c in report.checks} == {Status.ERROR}
    assert {c.cause for c in report.checks} == {Cause.GRADER_SANDBOX}
    assert report.score == report.max_score == 0
    assert len(report.needs_review) == 1 and "sandbox did not start" in report.needs_review[0]


# ---- helpers --------------------------------------------------------------------------------

def _check(cid, status, score=None, maximum=2.0, message="", cause=""):
    score = (maximum if status is Status.PASSED else 0.0) if score is None else score
    return CheckResult(cid, status, score, maximum, message, f"{cid} works", "visible", cause=cause)


def _report(checks):
    return GradeReport("bank", "bank.py", "contract", sum(c.score for c in checks),
                       sum(c.max_score for c in checks), 7, checks)
