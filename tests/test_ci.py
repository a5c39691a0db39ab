"""CI on a student's repository: the workflow `grader init-ci` writes, and what its grading step
publishes (job summary, annotations, JUnit, GitHub Classroom's result), run here as the runner
would run it."""
import base64
import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from conftest import ROOT
from grader.ci import github
from grader.ci.templates import CiOptions, render, workflow_problem
from grader.cli import main
from grader.errors import GraderError
from grader.results import CheckResult, GradeReport, Status
from grader.presentation import SELF_CHECK, view

CI_RUBRIC = """
version: 4
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    checks:
      - {id: api, points: 1, description: the API exists}
      - {id: basic, points: 2, description: single-thread behaviour, depends: [api]}
      - {id: validation, points: 1, description: amounts <= 0 are refused, depends: [api]}
      - {id: no_lost_update, points: 3, description: no lost deposit, depends: [basic]}
      - {id: model, points: 5, description: a hidden model check, depends: [basic], visibility: hidden}
"""
# Thread-unsafe and without validation: 3 of the 7 visible points.
UNSAFE_BANK = """\
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount

    def withdraw(self, amount):
        if amount > self.balance:
            return False
        self.balance -= amount
        return True


def simulate(account, customers, deposits_each, amount):
    threads = [threading.Thread(target=lambda: [account.deposit(amount) for _ in range(deposits_each)])
               for _ in range(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance
"""


def steps_of(workflow):
    return workflow["jobs"]["run-autograding-tests"]["steps"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course's grader repository (a local one: `git ls-remote` answers for it), tagged."""
    repo = tmp_path_factory.mktemp("course") / "grader.git"
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README.md").write_text("course grader\n")
    subprocess.run(git + ["add", "README.md"], check=True)
    subprocess.run(git + ["commit", "-qm", "start"], check=True)
    for tag in ("v1", "v2026.1"):
        subprocess.run(git + ["tag", tag], check=True)
    return str(repo)


@pytest.mark.sandbox
def test_workflow_is_yaml_with_the_expected_steps(tmp_path, course):
    assert main(["init-ci", str(tmp_path), "--source", course,
                 "--ref", "v2026.1", "--rubric", "courses/rubric.yaml"]) == 0
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "grade.yml").read_text())
    assert "push" in workflow["on"]
    steps = steps_of(workflow)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses == ["actions/checkout", "actions/setup-python", "", "", "actions/upload-artifact",
                    "classroom-resources/autograding-grading-reporter"]
    install, grade = steps[2], steps[3]
    assert install["env"] == {"COURSE_SOURCE": course, "COURSE_REF": "v2026.1"}
    assert "pip install" in install["run"] and '"$RUNNER_TEMP/course"' in install["run"]
    assert grade["id"] == "grader" and grade["run"].startswith("grader check --github --junit")
    assert '--rubric "$RUNNER_TEMP/course/courses/rubric.yaml"' in grade["run"]  # not the student's files
    assert steps[4]["if"] == "always()" and steps[5]["if"] == "always()"
    assert steps[5]["with"]["runners"] == "grader"
    assert steps[5]["env"]["GRADER_RESULTS"] == "${{ steps.grader.outputs.result }}"


# What GitHub Classroom's autograding template and classroom-resources/autograding-grading-
# reporter (src/main.js, src/notify-classroom.js, at v1) require of a workflow:
REPORTER_RUNNERS = re.compile(r"^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$")  # main.js: the `runners` input


def test_workflow_matches_what_classroom_and_its_reporter_require(course):
    text = render(CiOptions(source=course, ref="v1"))
    workflow = yaml.safe_load(text)
    assert workflow["name"] == "Autograding Tests"
    assert {"push", "repository_dispatch"} <= set(workflow["on"])  # Classroom dispatches a regrade
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job_id, job), = workflow["jobs"].items()
    assert job_id == "run-autograding-tests" and "name" not in job  # the check run is the job id
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    reporter = steps_of(workflow)[-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    runners = reporter["with"]["runners"]
    assert REPORTER_RUNNERS.match(runners)
    # main.js reads process.env[`${runner.trim().toUpperCase()}_RESULTS`], base64 of the result
    for runner in runners.split(","):
        step = next(s for s in steps_of(workflow) if s.get("id") == runner)
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == f"${{{{ steps.{step['id']}.outputs.result }}}}"
    assert reporter["if"] == "always()"  # a failed grading step still reports its points


def test_every_action_is_pinned_by_commit(course):
    text = render(CiOptions(source=course, ref="v1"))
    uses = [s["uses"] for s in steps_of(yaml.safe_load(text)) if "uses" in s]
    assert len(uses) == 4 and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses)
    assert all(re.search(r"@[0-9a-f]{40} # v\d", line) for line in text.splitlines() if "uses:" in line)


@pytest.mark.sandbox
def test_init_ci_refuses_a_ref_the_source_does_not_have(tmp_path, course, capsys):
    assert main(["init-ci", str(tmp_path), "--source", course, "--ref", "v9.9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--ref v9.9: no such tag or branch in" in err[0]
    assert not (tmp_path / ".github").exists()
    assert main(["init-ci", str(tmp_path), "--source", str(tmp_path / "nowhere"), "--ref", "v1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach" in err[0] and "--no-check-ref" in err[0]
    assert main(["init-ci", str(tmp_path), "--source", "https://example.org/g.git", "--ref", "v1",
                 "--no-check-ref"]) == 0


@pytest.mark.sandbox
def test_an_existing_different_workflow_is_not_overwritten_without_force(tmp_path, capsys, course):
    args = ["init-ci", str(tmp_path), "--source", course, "--ref", "v1"]
    assert main(args) == 0
    path = tmp_path / ".github" / "workflows" / "grade.yml"
    path.write_text("name: mine\n")
    assert main(args) == 2 and "--force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0 and "Autograding Tests" in path.read_text()


@pytest.mark.sandbox
def test_gitlab_template_reports_junit(tmp_path, course):
    assert main(["init-ci", str(tmp_path), "--gitlab", "--source", course, "--ref", "v1"]) == 0
    job = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())["grade"]
    assert job["artifacts"]["reports"]["junit"] == "grader-junit.xml" and job["artifacts"]["when"] == "always"
    assert any(line.startswith("grader check --junit") for line in job["script"])


def test_without_a_known_source_init_ci_asks_for_one(tmp_path, monkeypatch):
    monkeypatch.setattr("grader.ci.templates.installed_from", lambda: None)
    with pytest.raises(GraderError, match="--source"):
        render(CiOptions())


def run_grading_step(tmp_path, files):
    """The workflow's grading step run as the runner runs it, in a repository holding `files`:
    (the completed process, the summary, the step outputs, the JUnit path)."""
    repo, runner_temp, bin_dir = tmp_path / "repo", tmp_path / "runner", tmp_path / "bin"
    for folder in (repo, runner_temp / "course", bin_dir):
        folder.mkdir(parents=True)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    (runner_temp / "course" / "rubric.yaml").write_text(CI_RUBRIC)
    shim = bin_dir / "grader"  # what `pip install` puts on PATH
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m grader \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    workflow = yaml.safe_load(render(CiOptions(source="https://example.org/g.git", ref="v1",
                                               rubric="rubric.yaml")))
    step = next(s for s in steps_of(workflow) if s.get("id") == "grader")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHONPATH=str(ROOT),
               RUNNER_TEMP=str(runner_temp), GITHUB_WORKSPACE=str(repo),
               GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output))
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=240)
    return done, summary, output, runner_temp / "grader-junit.xml"


def classroom_result_of(output):
    key, _, value = output.read_text().strip().partition("=")
    assert key == "result"
    return json.loads(base64.b64decode(value))


@pytest.mark.sandbox
def test_bank_py_in_src_is_found_and_annotated_there(tmp_path):
    done, summary, output, junit = run_grading_step(tmp_path, {"src/bank.py": UNSAFE_BANK, "README.md": "hi"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert classroom_result_of(output)["max_score"] == 7 and "3/7" in summary.read_text()
    assert any(line.startswith("::error file=src/bank.py,line=") for line in done.stdout.splitlines())
    assert ET.parse(junit).getroot().get("tests") == "4"


@pytest.mark.sandbox
def test_nothing_to_grade_still_writes_every_ci_output_saying_where_it_looked(tmp_path):
    done, summary, output, junit = run_grading_step(tmp_path, {"README.md": "hi", "lib/util.py": "x = 1\n"})
    assert done.returncode == 2
    where = str((tmp_path / "repo").resolve())
    assert "no bank.py here or in its subfolders" in done.stderr and where in done.stderr
    text = summary.read_text()
    assert "**Nothing was graded:**" in text and "0/7" in text
    assert where.replace("_", "\\_") in text  # Markdown-escaped
    result = classroom_result_of(output)
    # a missing file is the student's failure (0 points), not the grader's error
    assert result["status"] == "fail" and result["max_score"] == 7
    assert [t["status"] for t in result["tests"]] == ["fail"] and "bank.py" in result["tests"][0]["message"]
    root = ET.parse(junit).getroot()
    assert root.get("errors") == "0" and root.get("failures") == "1"
    assert "no bank.py" in root.find(".//failure").get("message")
    assert any(line.startswith("::error title=grader%3A nothing graded::") for line in done.stdout.splitlines())


@pytest.mark.sandbox
def test_the_grading_step_run_locally_publishes_summary_junit_and_classroom_points(tmp_path):
    repo, runner_temp, bin_dir = tmp_path / "repo", tmp_path / "runner", tmp_path / "bin"
    for folder in (repo, runner_temp / "course", bin_dir):
        folder.mkdir(parents=True)
    (repo / "bank.py").write_text(UNSAFE_BANK)
    (runner_temp / "course" / "rubric.yaml").write_text(CI_RUBRIC)
    shim = bin_dir / "grader"  # what `pip install` puts on PATH
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m grader \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    workflow = yaml.safe_load(render(CiOptions(source="https://example.org/g.git", ref="v1",
                                               rubric="rubric.yaml")))
    step = next(s for s in steps_of(workflow) if s.get("id") == "grader")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHONPATH=str(ROOT),
               RUNNER_TEMP=str(runner_temp), GITHUB_WORKSPACE=str(repo),
               GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output))
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 1, done.stdout + done.stderr  # below full marks: the step fails

    key, _, value = output.read_text().strip().partition("=")
    assert key == "result"
    result = json.loads(base64.b64decode(value))
    assert result["version"] == 1 and result["status"] == "fail"
    assert result["max_score"] == 7  # the hidden check is neither shown nor counted
    assert sum(t["score"] for t in result["tests"]) == 3
    assert {t["name"]: t["status"] for t in result["tests"]} == {
        "bank: api": "pass", "bank: basic": "pass", "bank: validation": "fail", "bank: no_lost_update": "fail"}

    text = summary.read_text()
    assert "| Check | Result | Points | Message |" in text and "3/7" in text
    assert "5 more points (1 check) are checked at grading time" in text

    root = ET.parse(runner_temp / "grader-junit.xml").getroot()
    assert root.get("tests") == "4" and root.get("failures") == "2"

    lost = [line for line in done.stdout.splitlines() if line.startswith("::error file=bank.py,line=")]
    assert lost and "no_lost_update" in lost[0]
    line = int(lost[0].split("line=")[1].split(",")[0])
    assert "self.balance += amount" in UNSAFE_BANK.splitlines()[line - 1]
    # the report itself is printed with workflow commands off: student text cannot issue one
    out = done.stdout
    assert out.index("::stop-commands::") < out.index("bank: bank.py") < out.index(lost[0])


def test_annotations_escape_what_would_break_a_workflow_command():
    report = GradeReport("bank", "bank.py", "contract", 0, 1, 1, [
        CheckResult("api", Status.FAILED, 0, 1, "bad%value\n::set-env name=X::1", "the API", "visible")])
    (line,) = github.annotations([view(report, SELF_CHECK)], {"bank": "src/bank.py"})
    assert line == "::error file=src/bank.py,title=bank.api (0/1)::bad%25value"


def test_batch_flags_a_repository_whose_workflow_differs(tmp_path):
    template = render(CiOptions(source="https://example.org/g.git", ref="v1"))
    repo = tmp_path / "bank-alice"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "grade.yml").write_text(template)
    assert workflow_problem(repo, template) is None
    (repo / ".github" / "workflows" / "grade.yml").write_text(template.replace("--github", "--github || true"))
    assert "differs" in workflow_problem(repo, template)
    assert "missing" in workflow_problem(tmp_path / "bank-bob", template)


def test_classroom_points_count_bonus_but_not_in_the_maximum():
    report = GradeReport("bank", "bank.py", "contract", 4, 3, 1, [
        CheckResult("api", Status.PASSED, 3, 3, "", "", "visible"),
        CheckResult("transfer", Status.PASSED, 1, 1, "", "", "visible", bonus=True)])
    result = github.classroom_result([view(report, SELF_CHECK)], ok=True)
    assert result["max_score"] == 3 and sum(t["score"] for t in result["tests"]) == 4
    assert result["status"] == "pass"
    assert json.loads(base64.b64decode(github.encode(result))) == result


class _Dist:
    def __init__(self, direct_url):
        self.direct_url = direct_url

    def read_text(self, name):
        return json.dumps(self.direct_url) if name == "direct_url.json" else None


def test_init_ci_pins_the_git_url_and_commit_this_grader_was_installed_from(monkeypatch):
    commit = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr("grader.ci.templates.metadata.distribution", lambda name: _Dist(
        {"url": "https://github.com/course/grader.git",
         "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "main"}}))
    install = steps_of(yaml.safe_load(render(CiOptions())))[2]
    assert install["env"] == {"COURSE_SOURCE": "https://github.com/course/grader.git", "COURSE_REF": commit}
    monkeypatch.setattr("grader.ci.templates.metadata.distribution", lambda name: _Dist(
        {"url": "file:///home/me/grader", "dir_info": {"editable": True}}))
    with pytest.raises(GraderError, match="--source"):
        render(CiOptions())


@pytest.mark.sandbox  # the batch probes the machine's isolation (a process) unless a test before it did
def test_grader_batch_notes_classroom_repos_whose_workflow_was_edited(tmp_path):
    import csv

    from grader.batch.app import BatchOptions, run_batch
    from grader.rubric import load_rubric

    template = render(CiOptions(source="https://example.org/g.git", ref="v1"))
    (tmp_path / "grade.yml").write_text(template)
    for user, workflow in (("alice", template.replace("--github", "--github || true")), ("bob", template)):
        repo = tmp_path / "class" / f"bank-{user}"
        (repo / ".github" / "workflows").mkdir(parents=True)
        (repo / ".github" / "workflows" / "grade.yml").write_text(workflow)
        (repo / "bank.py").write_text("def broken(:\n")  # a syntax error: graded without a sandbox run
    result, _ = run_batch(tmp_path / "class", load_rubric(None), BatchOptions(
        tasks=["bank"], layout="classroom", workflow=tmp_path / "grade.yml", formats=["csv"],
        progress=False, jobs=1, out=tmp_path / "out"))
    rows = {r["ID"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert "differs from the course's template" in rows["alice"]["Notes"]
    assert "template" not in rows["bob"]["Notes"]


@pytest.mark.sandbox
def test_a_syntax_error_is_said_once_in_the_job_summary(tmp_path):
    done, summary, output, _ = run_grading_step(tmp_path, {"bank.py": "class BankAccount:\n    def deposit(self)\n"})
    assert done.returncode == 1
    text = summary.read_text()
    assert text.count("SyntaxError") == 1 and "def deposit(self)" in text and "^" in text
    assert "Not run (7 points): api, basic, validation, no\\_lost\\_update" in text
    assert "| Check |" not in text  # no table repeating the error for every check
    assert classroom_result_of(output)["status"] == "fail"  # the student's error: points lost
