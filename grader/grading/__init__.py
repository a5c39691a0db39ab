"""Grade one submission: submission -> sandboxed run -> observations -> checks -> scores.

The child only observes; every verdict and every point is decided here, in the grader's own
process, from plain data. Each step has its package (see the README's Architecture):
`grader.submission`, `grader.sandbox`, `grader.probes`, `grader.checks` (the judges),
`grader.results`; this module runs them in turn.

    (here)          grade(): the flow; judging, the findings' caps, the choice of track
    environment.py  a module the submission needs that the grading lacks: review, not a 0
    profile.py      where one grading's time goes, phase by phase
"""
from __future__ import annotations

import dataclasses
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from grader import sandbox
from grader.grading.environment import environment_reasons, reported_missing
from grader.grading.profile import GradingProfile
from grader.probes import protocol
from grader.probes.probing import exc_text
from grader.probes.protocol import Crashed, ImportFailure, Observed, ProbeResult, Tampered
from grader.probes.registry import CHECKS, JudgeContext, Verdict, make_plan
from grader.results import Cause, CheckResult, GradeReport, Status
from grader.rubric import CheckSpec, Rubric, TaskSpec
from grader.sandbox import untrusted
from grader.submission import Submission, defined_callables, load_submission
from grader.submission.audit_static import audit_submission, imports_one_of


def default_seed(submission: Submission) -> int:
    """Derived from the file's content, so regrading the same file replays the same schedules."""
    return int(submission.digest[:8] or "0", 16) % 1_000_000


def probe_params(spec: CheckSpec) -> dict[str, Any]:
    """The parameters the probe sees; keys starting with `_` are for the judge alone, so that
    checks differing only in them (the tests of one pytest file) share one probe run."""
    return {k: v for k, v in spec.params.items() if not k.startswith("_")}


def probe_key(spec: CheckSpec) -> str:
    return CHECKS[spec.check].probe + json.dumps(probe_params(spec), sort_keys=True)


def _all_failed(specs: tuple[CheckSpec, ...], message: str, cause: str,
                status: Status = Status.FAILED) -> list[CheckResult]:
    return [CheckResult(s.id, status, 0.0, s.points, message, s.description, s.visibility,
                        s.bonus, cause=cause) for s in specs]


def _not_run(report: GradeReport, specs: tuple[CheckSpec, ...], outcome: sandbox.SandboxResult) -> GradeReport:
    """Nothing ran: the file's import failed (the student's), or the sandbox did not start (the
    grader's own error: not charged, flagged for review)."""
    report.error = outcome.import_error
    if outcome.grader_fault:
        cause = Cause.GRADER_BUSY if outcome.busy_import else Cause.GRADER_SANDBOX
        report.checks = _all_failed(specs, str(outcome.import_error), cause, Status.ERROR)
        report.needs_review.append(f"{outcome.import_error} (the grader's own error: nothing is "
                                   "charged until it is regraded)")
    else:
        report.checks = _all_failed(specs, str(outcome.import_error), Cause.IMPORT)
    settle(report)
    return report


@dataclass(frozen=True)
class Sent:
    """What the grader sent the child for one probe run: the plan, and the run's nonce."""

    plan: dict[str, Any] | None
    nonce: str


def plan_runs(specs: tuple[CheckSpec, ...], seed: int, default_timeout: float
              ) -> tuple[list[sandbox.ProbeRun], dict[str, Sent]]:
    """One probe run per distinct probe key, each with the grader's plan and a fresh nonce."""
    runs: dict[str, sandbox.ProbeRun] = {}
    sent: dict[str, Sent] = {}
    for spec in specs:
        key = probe_key(spec)
        timeout = spec.timeout or default_timeout
        if key in runs:
            runs[key] = dataclasses.replace(runs[key], timeout=max(timeout, runs[key].timeout))
            continue
        probe = CHECKS[spec.check].probe
        params = probe_params(spec)
        sent[key] = Sent(make_plan(probe, seed, params), secrets.token_hex(12))
        runs[key] = sandbox.ProbeRun(key, probe, {**params, "plan": sent[key].plan,
                                                  "nonce": sent[key].nonce}, timeout)
    return list(runs.values()), sent


SCRIPT_EVIDENCE = ("a script drives itself, so there is no grader-made plan to check its run "
                   "against: its results rest on what the program printed and did while the grader "
                   "scheduled its threads, and stand only while the audit finds nothing")
FORGED = ("this check's result does not come from this run of the grader (a replayed or forged "
          "observation), so it cannot count")


def _verdict(spec: CheckSpec, result: ProbeResult | None, ctx: JudgeContext,
             sent: Sent | None = None, entry_points: tuple[str, ...] = ()) -> Verdict:
    if result is None:
        return Verdict(Status.FAILED, "no observation was recorded for this check",
                       cause=Cause.NO_OBSERVATION)
    outcome = result.outcome
    if isinstance(outcome, Tampered):
        return Verdict(Status.FAILED, f"{outcome.why}, so this check cannot run; do not "
                                      "modify the grader or the threading module",
                       cause=Cause.TAMPERED)
    if isinstance(outcome, Crashed):
        return _crash_verdict(outcome, ctx, entry_points)
    obs = outcome.data
    if sent is not None and result.nonce != sent.nonce:
        return Verdict(Status.FAILED, FORGED, data={"forged": "its nonce is not this run's"},
                       cause=Cause.FORGED)
    echo = (sent.plan or {}).get("echo", {}) if sent is not None else {}
    for name, value in echo.items():
        if obs.get(name) != value:
            return Verdict(Status.FAILED, FORGED, data={"forged": f"its {name} are not the plan's"},
                           cause=Cause.FORGED)
    try:
        verdict = CHECKS[spec.check].judge(obs, ctx)
    except Exception as exc:  # a bug of the grader: never the student's failure
        return Verdict(Status.ERROR, f"internal grader error in check {spec.id} "
                                     f"({type(exc).__name__}: {exc}); please report it to your "
                                     "instructor", cause=Cause.GRADER_JUDGE)
    if verdict.cause:
        return verdict
    if verdict.status == Status.PASSED:
        return dataclasses.replace(verdict, cause=Cause.PASSED)
    return dataclasses.replace(verdict, cause=Cause.FORGED if verdict.data.get("forged") else spec.check)


def _crash_verdict(crash: Crashed, ctx: JudgeContext, entry_points: tuple[str, ...]) -> Verdict:
    """A probe that ended without an observation: the student's code raised, a name is missing,
    the child ran out of time or exited (the student's), or the grader's side broke (an error)."""
    kind = crash.kind
    if kind == protocol.EXCEPTION:
        return Verdict(Status.FAILED, f"your code raised {exc_text(crash)} during this check",
                       cause=Cause.EXCEPTION)
    if kind == protocol.MISSING and crash.missing in entry_points:
        return Verdict(Status.FAILED, f"{ctx.filename} does not define {crash.missing}, which this "
                                      f"check needs (the assignment's names: {', '.join(entry_points)})",
                       cause=Cause.MISSING_NAME)
    if kind in (protocol.GRADER, protocol.MISSING):
        return Verdict(Status.ERROR, f"internal grader error in this check ({exc_text(crash)}); "
                                     "please report it to your instructor",
                       cause=Cause.GRADER_PROBE)
    if kind == protocol.PROTOCOL:
        return Verdict(Status.ERROR, f"internal grader error in this check "
                                     f"({crash.message}); please report it to your instructor",
                       cause=Cause.GRADER_PROTOCOL)
    # the kind is the child's word: only the sandbox's own kinds become causes
    return Verdict(Status.FAILED, crash.message, cause=_CRASH_CAUSES.get(kind, Cause.CRASH))


_CRASH_CAUSES = {"timeout": Cause.TIMEOUT, "budget": Cause.BUDGET, "exit": Cause.EXIT}


def judge_all(task: TaskSpec, specs: tuple[CheckSpec, ...], observations: dict[str, ProbeResult],
              filename: str, seed: int, sent: dict[str, Sent] | None = None,
              busy: frozenset[str] | set[str] = frozenset()) -> list[CheckResult]:
    """Judge every check; with `sent`, an observation must echo its run's nonce and each judge
    checks the history against the plan it was sent (see grader.probes.registry). `busy`: the probes
    the sandbox cut because the machine was too busy (its own record, never the child's word):
    their checks are the grader's error, regraded, never the student's failure."""
    results: dict[str, CheckResult] = {}
    for spec in specs:
        blocking = [d for d in spec.depends if results[d].status != Status.PASSED]
        broken = [d for d in blocking if results[d].status == Status.ERROR]
        if broken:
            verdict = Verdict(Status.ERROR, f"not graded: depends on '{broken[0]}', which the "
                                            "grader could not grade", cause=Cause.GRADER_DEPENDENCY)
        elif blocking:
            verdict = Verdict(Status.SKIPPED, f"skipped: depends on '{blocking[0]}', which did not pass",
                              cause=Cause.DEPENDENCY)
        else:
            key = probe_key(spec)
            mine = sent.get(key) if sent is not None else None
            obs = observations.get(key)
            ctx = JudgeContext(spec.params, filename, seed, mine.plan if mine else None,
                               obs.network if obs is not None else ())
            verdict = _verdict(spec, obs, ctx, mine, tuple(task.entry_points.values()))
            if key in busy:
                crashed = obs.outcome if obs is not None and isinstance(obs.outcome, Crashed) else None
                verdict = Verdict(Status.ERROR, crashed.message if crashed else
                                  "the grading machine was too busy", cause=Cause.GRADER_BUSY)
            if verdict.status == Status.FAILED and (obs is None or not isinstance(obs.outcome, Observed)):
                # no verdict on the code's behaviour (a crash, a timeout, tampering): never
                # counted as a finding's evidence (see _apply_findings)
                verdict = dataclasses.replace(verdict, data={**verdict.data, "no_result": True})
        results[spec.id] = _result(spec, verdict)
    # A check with no points that did not pass costs nothing unless others were skipped for it
    # (the downloader's `api`: without download_pages nothing else runs): then it is the failure.
    gating = {d for spec in specs if results[spec.id].status == Status.SKIPPED for d in spec.depends}
    for result in results.values():
        if result.status == Status.FAILED and not result.max_score and result.id not in gating:
            result.status = Status.NOTE
    return list(results.values())


def _result(spec: CheckSpec, verdict: Verdict) -> CheckResult:
    score = spec.points if verdict.status == Status.PASSED else 0.0
    return CheckResult(spec.id, verdict.status, score, spec.points, verdict.message, spec.description,
                       spec.visibility, spec.bonus, verdict.details, dict(verdict.data), verdict.cause)


def settle(report: GradeReport) -> None:
    """The report's score, and what the grader's own errors withhold: an `error` check is never
    charged to the student. Its points leave the maximum (the score is out of what was graded),
    and the report is flagged for review, so the grade stands only once a person has looked
    (a program that makes the grader fail on purpose earns nothing by it)."""
    report.score = sum(c.score for c in report.checks)
    errors = [c for c in report.checks if c.status == Status.ERROR]
    report.max_score -= sum(c.max_score for c in errors if not c.bonus)
    not_charged = ("the grader's own error, not charged: its points are left out of the maximum "
                   "until it is regraded")
    for check in errors:
        if check.cause in (Cause.GRADER_DEPENDENCY, Cause.GRADER_SANDBOX) \
                or check.cause == Cause.GRADER_BUSY and check.message == report.error:
            continue  # the check it waited on, the sandbox, or a busy import is named once
        if check.visibility != "visible":  # every audience reads the reasons: name no hidden check
            reason = f"a check shown at grading time: {not_charged}"
        else:
            first = (check.message.splitlines() or ["internal grader error"])[0]
            reason = f"check {check.id}: {first} ({not_charged})"
        if reason not in report.needs_review:
            report.needs_review.append(reason)


def _runtime_findings(audit: list[dict[str, Any]], known: list[str]) -> list[str]:
    """The child's audit-hook findings as review reasons, one per event and line; a line the
    static audit already named is not named twice."""
    found: list[str] = []
    for finding in audit:
        where = f"{untrusted.name(finding.get('file', '?'))} line {finding.get('line', '?')}: "
        text = (where + f"{untrusted.text(str(finding.get('what', 'an audited event')), 200)} "
                        "(seen while it ran)")
        if text not in found and not any(k.startswith(where) for k in known):
            found.append(text)
    return found[:MAX_FINDINGS]


MAX_FINDINGS = 30


def grade(rubric: Rubric, task_name: str, path: str | Path, seed: int | None = None,
          profile: GradingProfile | None = None) -> GradeReport:
    """Grade one submission; with `profile`, where the time went is recorded in it."""
    task = rubric.task(task_name)
    submission = load_submission(task, path)
    profile = GradingProfile() if profile is None else profile
    if task.program_graded:
        return _grade_program(task, submission, seed, profile)
    specs = task.checks_for(submission.style)
    seed = default_seed(submission) if seed is None else seed
    report = GradeReport(task.name, submission.filename, submission.style, 0.0,
                         task.max_score(submission.style), seed, [])
    if submission.problem:
        report.error = submission.problem
        report.checks = _all_failed(specs, submission.problem, Cause.SUBMISSION)
        return report
    if not specs:
        report.error = (f"{submission.filename}: graded as a {submission.style}-style submission, "
                        f"but the rubric has no {submission.style} checks for task {task.name}; "
                        f"define {', '.join(task.entry_points.values())}")
        return report
    static = _static_findings(task, submission, profile)
    if submission.style == "script":
        report.notes.append(SCRIPT_EVIDENCE)
    outcome, sent = _run_sandbox(task, submission, specs, submission.style, seed, report, profile,
                                 static)
    if outcome.import_error:
        return _not_run(report, specs, outcome)
    report.checks = _judge(task, specs, outcome, submission, seed, sent, report, profile)
    settle(report)
    return report


def _static_findings(task: TaskSpec, submission: Submission, profile: GradingProfile
                     ) -> Callable[[], list[str]]:
    """The static audit, started on a thread of its own; calling the result waits for its findings.

    Why a thread: the audit learns which attributes of an allowed module are modules by importing
    that module in the grader (a downloader's `requests.get` imports requests, about 0.1 s
    paid by every `grader check`), while the sandbox's start is mostly waiting for the child. Side
    by side, the audit costs a grading no time; its findings are read before the child's own
    are added (`_run_sandbox`), so the report is the same."""
    box: dict[str, Any] = {}

    def audit() -> None:
        started = time.monotonic()
        try:
            box["found"] = [f.text() for f in audit_submission(submission.path, task.imports_allowed)]
        except BaseException as exc:  # raised where the findings are read
            box["error"] = exc
        profile.static_audit += time.monotonic() - started

    thread = threading.Thread(target=audit, name="grader-static-audit", daemon=True)
    thread.start()

    def findings() -> list[str]:
        thread.join()
        if "error" in box:
            raise box["error"]
        return list(box["found"])
    return findings


def _run_sandbox(task: TaskSpec, submission: Submission, specs: tuple[CheckSpec, ...], style: str,
                 seed: int, report: GradeReport, profile: GradingProfile,
                 static: Callable[[], list[str]] | None = None
                 ) -> tuple[sandbox.SandboxResult, dict[str, Sent]]:
    runs, sent = plan_runs(specs, seed, task.limits.check_seconds)
    outcome = sandbox.run(submission.path, style, task.entry_points, runs, seed, task.limits)
    if static is not None:  # the static audit's findings come first
        report.needs_review = static() + report.needs_review
    profile.sandboxes.append(outcome.timings)
    profile.note_schedules(outcome.observations)
    report.isolation = outcome.isolation
    report.seconds = round(report.seconds + outcome.seconds, 3)
    report.stdout, report.stderr = (untrusted.text(outcome.stdout, 1 << 24),
                                    untrusted.text(outcome.stderr, 1 << 24))
    if outcome.forged_frames:
        report.notes.append(f"{outcome.forged_frames} message(s) on the result channel without the "
                            "run's token were ignored")
    report.needs_review += _runtime_findings(outcome.audit, report.needs_review)
    environment = environment_reasons(task, submission.path, outcome.import_error, outcome.observations)
    if environment:  # a module the run could not find: said once, by the environment's reason
        missing = reported_missing(outcome.import_error, outcome.observations)
        report.needs_review = [r for r in report.needs_review if not imports_one_of(r, missing)]
    report.needs_review += [reason for reason in environment if reason not in report.needs_review]
    report.needs_review += [r for r in outcome.integrity if r not in report.needs_review]
    return outcome, sent


def _judge(task: TaskSpec, specs: tuple[CheckSpec, ...], outcome: sandbox.SandboxResult,
           submission: Submission, seed: int, sent: dict[str, Sent], report: GradeReport,
           profile: GradingProfile) -> list[CheckResult]:
    started = time.monotonic()
    results = judge_all(task, specs, outcome.observations, submission.filename, seed, sent,
                        outcome.busy)
    profile.judge += time.monotonic() - started
    report.needs_review += [f"check {c.id}: {c.data['forged']}, a replayed or forged observation"
                            for c in results if c.data.get("forged")]
    return results


def _grade_program(task: TaskSpec, submission: Submission, seed: int | None,
                   profile: GradingProfile) -> GradeReport:
    """Every submission is a program: run what it does when run, and the contract checks too
    when the file defines the contract's names. The names check picks the track: passed, the
    contract checks grade it; not passed, whichever track credits the behaviour more, so a
    program with names of its own loses only the names check's points."""
    seed = default_seed(submission) if seed is None else seed
    names_spec = next(c for c in task.checks if c.id == task.names_check) if task.names_check else None
    program = tuple(c for c in task.checks_for("program") if c is not names_spec)
    report = GradeReport(task.name, submission.filename, "program", 0.0, task.max_score("program"),
                         seed, [])
    if submission.problem:  # nothing can run: listed against the assignment's own checks
        report.error, report.style = submission.problem, "contract"
        report.max_score = task.max_score("contract")
        report.checks = _all_failed(task.checks_for("contract"), submission.problem, Cause.SUBMISSION)
        return report
    static = _static_findings(task, submission, profile)
    has_names = submission.style == "contract"  # defines at least one of the contract's names
    contract = task.checks_for("contract") if has_names and names_spec else ()
    ran = _light(program) if contract and _defines_every_entry_point(task, submission) else program
    outcome, sent = _run_sandbox(task, submission, contract + ran,
                                 "contract" if contract else "script", seed, report, profile,
                                 static)
    names_problem: str | None = None
    if outcome.import_error and contract and outcome.import_failure == ImportFailure.RAISED:
        # Importing the file (for the contract checks) runs its top level; if that raised (an
        # assert, sys.exit, input() at end of file), it is graded as the program it is, and the
        # names check says why. An import that hangs or kills the sandbox is not run again.
        names_problem = (f"the contract checks import your module, and importing it failed: "
                         f"{outcome.import_error}")
        contract = ()
        outcome, sent = _run_sandbox(task, submission, program, "script", seed, report, profile)
        ran = program
    if outcome.import_error:
        return _not_run(report, task.checks_for("program"), outcome)
    results = _judge(task, contract + ran, outcome, submission, seed, sent, report, profile)
    by_id = {r.id: r for r in results}
    names = by_id.get(names_spec.id) if names_spec else None
    if ran != program and (names is None or (names.status != Status.PASSED and not names.data.get("forged"))):
        # the program track may grade it after all: its checks are run again in full (not for
        # a run whose names check was forged: its program checks are as forged, and fail)
        full, full_sent = _run_sandbox(task, submission, program, "script", seed, report, profile)
        if full.import_error:
            return _not_run(report, task.checks_for("program"), full)
        by_id.update((r.id, r) for r in _judge(task, program, full, submission, seed, full_sent,
                                                report, profile))
    as_contract = [by_id[c.id] for c in contract]
    as_program = [by_id[c.id] for c in program]
    if names_spec is not None:
        as_program.insert(0, _names_verdict(task, names_spec, submission, names, names_problem))
    _apply_findings(task, as_contract)
    _apply_findings(task, as_program)
    _pick_track(task, report, names, as_contract, as_program)
    settle(report)
    return report


# Program-track probes that a contract submission runs light while its names check may still
# pass: once it passes, the contract checks grade the file and the program run only feeds notes
# ("running your file as a program: ..."), so the serial run and one forced schedule are enough
# (the forced runs of the bank corpora's racy programs all showed their race in the first), and
# the serial run records its first 2,000 points in full, as a forced run does, not 12,000: past
# them the watch still checks every access's ordering and records a burst in full on a conflict
# (grader/probes/preempt/modes.py). The reference's `__main__` (10 x 1,000 deposits) took 0.11 s
# of its 0.18 s there. Over the 138 bank programs of the corpora, wild-dev and tests/programs
# (55 graded by contract, 3 with such notes) the notes and verdicts are the same either way.
# When the names check does not pass, the program track may be scored: it is run again in full.
LIGHT_PARAMS: dict[str, dict[str, Any]] = {"bank.script": {"schedules": 1, "budget": 2000}}


def _defines_every_entry_point(task: TaskSpec, submission: Submission) -> bool:
    """Whether the file binds every contract name at top level: then the names check is
    expected to pass and the program run is made light (a file defining only some of them,
    a program with a `BankAccount` of its own, keeps the full run it may be scored on)."""
    return set(task.entry_points.values()) <= submission.names


def _light(program: tuple[CheckSpec, ...]) -> tuple[CheckSpec, ...]:
    """The program-track checks with their probes' light parameters (same probe key for all the
    checks sharing a probe, so they still share one run)."""
    return tuple(dataclasses.replace(spec, params={**spec.params, **LIGHT_PARAMS[probe]})
                 if (probe := CHECKS[spec.check].probe) in LIGHT_PARAMS else spec
                 for spec in program)


def _pick_track(task: TaskSpec, report: GradeReport, names: CheckResult | None,
                as_contract: list[CheckResult], as_program: list[CheckResult]) -> None:
    """The names check passed: the contract checks grade it. It did not: whichever track
    credits the behaviour more (a contract attempt with one misnamed method that does nothing
    when run keeps its contract verdicts; a program with an `Account` class of its own is
    graded on what it does)."""
    contract_wins = names is not None and (
        names.status == Status.PASSED or sum(c.score for c in as_contract) >= sum(c.score for c in as_program))
    if not contract_wins:
        report.checks = as_program
        report.notes.append(SCRIPT_EVIDENCE)
        return
    report.style = "contract"
    report.max_score = task.max_score("contract")
    report.checks = as_contract
    ran = [r for r in as_program if r.id != task.names_check]
    for result in ran if any(c.status == Status.PASSED for c in ran) else []:
        if result.status == Status.FAILED and names.status == Status.PASSED:  # type: ignore[union-attr]
            report.notes.append(f"running your file as a program: {result.message} "
                                "(not scored: the contract checks grade this submission)")


def _names_verdict(task: TaskSpec, spec: CheckSpec, submission: Submission,
                   result: CheckResult | None, problem: str | None) -> CheckResult:
    """The names check of a submission graded as a program: what was expected, what is there."""
    expected = ", ".join(task.entry_points.values())
    if problem is not None or result is not None:
        why = f"{problem or result.message} (the assignment's names: {expected})"  # type: ignore[union-attr]
    else:
        found = ", ".join(defined_callables(submission.source)) or "no class or function"
        why = f"{submission.filename} does not define the assignment's names ({expected}); it defines {found}"
    message = (f"{why}. Graded as a program on what it does when run; the names cost only this "
               f"check's {spec.points:g} point(s)")
    cause = Cause.IMPORT if problem is not None else result.cause if result is not None else Cause.NAMES
    # nothing runs after it on this track: with no points it is a note, not a failure
    status = Status.FAILED if spec.points else Status.NOTE
    return _result(spec, Verdict(status, message, cause=cause))


def _apply_findings(task: TaskSpec, results: list[CheckResult]) -> None:
    """One finding, one deduction: the checks that name a finding deduct together at most the
    task's cap for it; the points above the cap come back to the later ones, which say so."""
    finding_of = {c.id: c.finding for c in task.checks}
    for finding, cap in task.findings.items():
        group = [c for c in results if finding_of.get(c.id) == finding and not c.bonus
                 and c.status == Status.FAILED and not c.data.get("no_result")
                 and not c.data.get("forged") and c.score < c.max_score]  # a forged one is no finding
        refund = sum(c.max_score - c.score for c in group) - cap
        if refund <= 0:
            continue
        first = group[0]
        for result in reversed(group):
            if refund <= 0:
                break
            give = min(refund, result.max_score - result.score)
            result.score += give
            refund -= give
            if result is not first:
                result.message += (f" (the same finding as {first.id}: the '{finding}' checks "
                                   f"deduct at most {cap:g} points together)")
            if result.score >= result.max_score:
                # All its points came back: nothing is lost here, so no FAIL beside full points
                # in any output; the finding stays named in its message, as a note.
                result.status = Status.NOTE
