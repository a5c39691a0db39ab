"""The typed records that cross the process boundary (grader.probes.protocol): what the child may send,
what the grader refuses on arrival, and the verdicts the typed outcomes lead to. No child runs."""
import types

import pytest

from grader.grading import judge_all, probe_key
from grader.probes import protocol
from grader.probes.probing import ProbeContext, arrived
from grader.probes.protocol import Crashed, Job, Observed, ProbeRequest, ProbeResult, Tampered
from grader.probes.registry import PROBES, check, probe
from grader.results import Cause, Status
from grader.sandbox.child import _crashed


@pytest.mark.parametrize("outcome", [Observed({"problems": [], "n": 3}), Tampered("threading.Lock replaced"),
                                     Crashed("exception", "ValueError", "no", "bank.py:3"),
                                     Crashed("missing", "MissingEntryPoint", "m", None, "transfer")])
def test_a_result_survives_the_wire(outcome):
    result = ProbeResult(outcome, 0.25, "nonce", ("socket to 10.0.0.1:80",))
    assert ProbeResult.from_wire(result.to_wire()) == result


def test_a_job_survives_the_wire():
    job = Job("t" * 32, 5, "/work", "bank.py", "contract", {"transfer": "transfer"}, 7,
              {"memory_mb": 512}, (ProbeRequest("bank.api{}", "bank.api", {"nonce": "n"}, 30.0),))
    back = Job.decode(job.encode())
    assert back.runs[0].params == {"nonce": "n"} and back.runs[0].timeout == 0.0  # the limit stays home
    assert back == Job(**{**job.__dict__, "runs": (ProbeRequest("bank.api{}", "bank.api", {"nonce": "n"}),)})


@pytest.mark.parametrize("wire", [[], {"outcome": "observed", "data": []}, {"outcome": "tampered"},
                                  {"outcome": "crashed", "crash": {"kind": "exception"}},
                                  {"outcome": "observed", "data": {}, "nonce": 3},
                                  {"outcome": "observed", "data": {}, "network": "x"},
                                  {"outcome": "won", "data": {}}])
def test_a_result_of_another_shape_is_the_graders_protocol_error(wire):
    result = arrived("bank.api", wire)
    assert result.outcome == Crashed.stopped(protocol.PROTOCOL, "malformed observation")


def test_data_lacking_a_field_of_the_probes_declared_type_is_refused_on_arrival():
    result = arrived("downloader.races", {"outcome": "observed", "data": {"problems": []}})
    assert PROBES["downloader.races"].data is not dict
    assert isinstance(result.outcome, Crashed) and result.outcome.kind == protocol.PROTOCOL
    assert result.outcome.message in ("malformed observation: its data lacks 'late_reads'",
                                      "malformed observation: its data lacks 'runs'")


@pytest.mark.parametrize("name", ["bank", "Bank.api", "bank.api.x", "bank api", ""])
def test_a_probe_name_not_of_the_form_family_name_is_refused_at_registration(name):
    with pytest.raises(RuntimeError, match="family.name"):
        probe(name)(lambda ctx: {})
    with pytest.raises(RuntimeError, match="family.name"):
        check("bank.made_up", probe=name)(lambda obs, ctx: None)
    assert name not in PROBES


def _raised(exc):
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_an_entry_point_the_graders_lookup_misses_is_a_typed_crash(tmp_path, monkeypatch):
    monkeypatch.setattr("grader.sandbox.child._raised_in_grader", lambda exc: True)  # as in a probe's lookup
    ctx = ProbeContext(types.ModuleType("bank"), tmp_path / "bank.py", "", {"transfer": "transfer"}, {}, 0)
    try:
        ctx.entry("transfer")
    except Exception as exc:
        crash = _crashed(exc, "bank.py", ctx.entry_points)
    assert (crash.kind, crash.missing) == (protocol.MISSING, "transfer")
    try:
        getattr(types.ModuleType("bank"), "BankAccount")
    except AttributeError as exc:
        crash = _crashed(exc, "bank.py", {"account_class": "BankAccount"})
    assert (crash.kind, crash.missing) == (protocol.MISSING, "BankAccount")
    other = _crashed(_raised(AttributeError("x has no attribute 'BankAccount'")), "bank.py",
                     {"account_class": "BankAccount"})
    assert other.kind == protocol.GRADER  # a message that merely ends like one names nothing


def test_a_missing_name_fails_the_check_naming_it_and_any_other_name_is_the_graders_error(rubric):
    task = rubric.task("bank")
    spec = next(s for s in task.checks_for("contract") if s.id == "api")
    spec = type(spec)(**{**spec.__dict__, "points": 1.0})
    key = probe_key(spec)
    missing = ProbeResult(Crashed("missing", "MissingEntryPoint", "bank.py does not define transfer",
                                  None, "transfer"))
    result = judge_all(task, (spec,), {key: missing}, "bank.py", 7)[0]
    assert (result.status, result.cause) == (Status.FAILED, Cause.MISSING_NAME)
    assert result.message.startswith("bank.py does not define transfer, which this check needs")
    unknown = ProbeResult(Crashed("missing", "MissingEntryPoint", "bank.py does not define x", None, "x"))
    result = judge_all(task, (spec,), {key: unknown}, "bank.py", 7)[0]
    assert (result.status, result.cause) == (Status.ERROR, Cause.GRADER_PROBE)


def test_tampering_found_by_a_probe_fails_its_check_without_judging(rubric):
    task = rubric.task("bank")
    spec = next(s for s in task.checks_for("contract") if s.id == "api")
    spec = type(spec)(**{**spec.__dict__, "points": 1.0})
    result = judge_all(task, (spec,), {probe_key(spec): ProbeResult(Tampered("the scheduler was replaced"))},
                       "bank.py", 7)[0]
    assert result.status == Status.FAILED and result.cause == Cause.TAMPERED
    assert result.message.startswith("the scheduler was replaced, so this check cannot run")
    assert result.data.get("no_result")
