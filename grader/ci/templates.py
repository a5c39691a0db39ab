"""`grader init-ci`: the CI file that grades a student repository on every push.

The workflow installs the grader, and takes the rubric, from the course's source at a pinned
ref (a clone of that ref, outside the student's checkout), never from the student's files, and
runs the installed `grader` command, not `python -m grader` (which would import a `grader/`
folder the student adds). The file itself lives in the student's repository and can be edited,
so its points are feedback; `grader batch` gives the grade of record and flags a repository
whose workflow differs from the one written here (`workflow_problem`).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from grader import __version__
from grader.errors import GraderError

GITHUB_PATH = Path(".github/workflows/grade.yml")
GITLAB_PATH = Path(".gitlab-ci.yml")
DEFAULT_SOURCE = "the URL this grader was installed from"
JUNIT = "grader-junit.xml"
PYTHON = "3.12"
MARKER = "# Written by `grader init-ci`"

# Every action is pinned by commit (a tag can be moved); the comment says which release it is.
# Read from each action's repository at these tags.
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "classroom-resources/autograding-grading-reporter": ("d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca", "v1"),
}
# What GitHub Classroom's own autograding template has, kept as it is: the workflow's name, the
# triggers (Classroom starts a grading run with `repository_dispatch`), the permissions, the
# job id `run-autograding-tests` with no display name (the check run Classroom reads is named
# by it), the guard against Classroom's own first commit, and the reporter step reading the
# runner's result from `<STEP ID IN CAPITALS>_RESULTS`, the step id being letters and digits
# (the reporter's `runners` pattern).
WORKFLOW_NAME = "Autograding Tests"
JOB_ID = "run-autograding-tests"
RUNNER_ID = "grader"

GITHUB = """{marker} {version}: grades every push with the course's grader.
# The points shown here are feedback; the grade of record comes from the course's `grader batch`.
# Job, triggers and reporter are those of GitHub Classroom's autograding template: keep them.
name: {workflow_name}
"on":
  - push
  - repository_dispatch
  - workflow_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  {job_id}:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: {checkout}
      - name: Set up Python
        uses: {setup_python}
        with:
          python-version: "{python}"
      - name: Install the course's grader (pinned)
        env:
          COURSE_SOURCE: {source}
          COURSE_REF: {ref}
        run: |
          git init -q "$RUNNER_TEMP/course"
          git -C "$RUNNER_TEMP/course" fetch -q --depth 1 "$COURSE_SOURCE" "$COURSE_REF"
          git -C "$RUNNER_TEMP/course" checkout -q FETCH_HEAD
          python -m pip install -q "$RUNNER_TEMP/course"
      - name: Grade
        id: {runner}
        run: grader check --github --junit "$RUNNER_TEMP/{junit}"{args}
      - name: Keep the JUnit report
        if: always()
        uses: {upload_artifact}
        with:
          name: grader-junit
          path: ${{{{ runner.temp }}}}/{junit}
          if-no-files-found: ignore
      - name: Autograding Reporter
        if: always()
        uses: {reporter}
        env:
          {runner_env}_RESULTS: "${{{{ steps.{runner}.outputs.result }}}}"
        with:
          runners: {runner}
"""

GITLAB = """{marker} {version}: grades every push with the course's grader.
# The points shown here are feedback; the grade of record comes from the course's `grader batch`.
grade:
  image: python:{python}
  variables:
    COURSE_SOURCE: {source}
    COURSE_REF: {ref}
  script:
    - git init -q /tmp/course
    - git -C /tmp/course fetch -q --depth 1 "$COURSE_SOURCE" "$COURSE_REF"
    - git -C /tmp/course checkout -q FETCH_HEAD
    - python -m pip install -q /tmp/course
    - grader check --junit "$CI_PROJECT_DIR/{junit}"{args}
  artifacts:
    when: always
    paths:
      - {junit}
    reports:
      junit: {junit}
"""


@dataclass
class CiOptions:
    source: str = DEFAULT_SOURCE
    ref: str | None = None
    rubric: str | None = None  # a path inside the source repository
    tasks: list[str] = field(default_factory=list)
    gitlab: bool = False
    check_ref: bool = True  # ask the source (git ls-remote) that the ref exists before writing


def installed_from() -> tuple[str, str] | None:
    """(URL, commit) this grader was pip-installed from, when it came from a git URL (PEP 610)."""
    try:
        text = metadata.distribution("grader").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    data = json.loads(text)
    vcs = data.get("vcs_info") or {}
    if vcs.get("vcs") != "git" or not data.get("url"):
        return None
    return data["url"], vcs.get("commit_id") or vcs.get("requested_revision") or ""


def _yaml_scalar(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def source_and_ref(options: CiOptions) -> tuple[str, str]:
    """The course's source URL and the ref to pin: as given, else where this grader came from."""
    source, ref = options.source, options.ref
    if source == DEFAULT_SOURCE:
        found = installed_from()
        if found is None:
            raise GraderError("init-ci: this grader was not installed from a git URL; give --source "
                              "(the git URL of the course's grader) and --ref (a tag or commit)")
        source, ref = found[0], ref or found[1]
    return source, ref or f"v{__version__}"


COMMIT = re.compile(r"\A[0-9a-f]{40}\Z")


def check_ref(source: str, ref: str, timeout: float = 30.0) -> None:
    """Refuse, in one line, a ref the source does not have: a workflow pinned to it would fail
    on every student's push. A tag or branch must be listed by `git ls-remote`; a full commit
    hash cannot be listed, so only the source is checked to answer."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(["git", "ls-remote", "--", source] + ([] if COMMIT.match(ref) else [ref]),
                              capture_output=True, text=True, timeout=timeout, env=env)
    except FileNotFoundError:
        raise GraderError("init-ci: git is not installed, so --ref cannot be checked; install git, "
                          "or pass --no-check-ref") from None
    except subprocess.TimeoutExpired:
        raise GraderError(f"init-ci: {source} did not answer in {timeout:g} s, so --ref {ref} cannot be "
                          "checked; check --source, or pass --no-check-ref") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise GraderError(f"init-ci: cannot reach {source} to check --ref {ref} ({why}); check --source, "
                          "or pass --no-check-ref when offline")
    if COMMIT.match(ref):
        return
    names = {line.split("\t", 1)[1].removesuffix("^{}") for line in done.stdout.splitlines() if "\t" in line}
    if not names & {ref, f"refs/tags/{ref}", f"refs/heads/{ref}"}:
        raise GraderError(f"init-ci: --ref {ref}: no such tag or branch in {source}; push the tag "
                          "(git push origin TAG) or give a tag, branch or full commit hash it has")


def render(options: CiOptions) -> str:
    source, ref = source_and_ref(options)
    args = ""
    if options.rubric:
        rubric = options.rubric.lstrip("/")
        if ".." in Path(rubric).parts:
            raise GraderError(f"--rubric {options.rubric}: give a path inside the course's repository")
        base = "$RUNNER_TEMP/course" if not options.gitlab else "/tmp/course"
        args += f' --rubric "{base}/{rubric}"'
    for task in options.tasks:
        args += f" --task {shlex.quote(task)}"
    template = GITLAB if options.gitlab else GITHUB
    return template.format(marker=MARKER, version=__version__, source=_yaml_scalar(source),
                           ref=_yaml_scalar(ref), junit=JUNIT, args=args, python=PYTHON,
                           workflow_name=WORKFLOW_NAME, job_id=JOB_ID, runner=RUNNER_ID,
                           runner_env=RUNNER_ID.upper(), **{
                               key: pinned(action) for key, action in (
                                   ("checkout", "actions/checkout"), ("setup_python", "actions/setup-python"),
                                   ("upload_artifact", "actions/upload-artifact"),
                                   ("reporter", "classroom-resources/autograding-grading-reporter"))})


def pinned(action: str) -> str:
    """`owner/name@<commit> # <release>`, as a `uses:` value."""
    commit, release = ACTIONS[action]
    return f"{action}@{commit} # {release}"


def write_template(folder: Path, options: CiOptions, force: bool = False) -> Path:
    if not folder.is_dir():
        raise GraderError(f"{folder}: no such folder; give the repository's folder")
    path = folder / (GITLAB_PATH if options.gitlab else GITHUB_PATH)
    text = render(options)
    if options.check_ref:
        check_ref(*source_and_ref(options))
    if path.exists() and not force:
        if path.read_text(encoding="utf-8", errors="replace") == text:
            return path
        raise GraderError(f"{path}: already exists and differs; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def workflow_problem(repo: Path, expected: str) -> str | None:
    """Why a student repository's workflow is not the one the course wrote, or None."""
    path = repo / GITHUB_PATH
    if not path.is_file():
        return f"{GITHUB_PATH} is missing"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return f"{GITHUB_PATH} cannot be read"
    if text != expected:
        return f"{GITHUB_PATH} differs from the course's template (CI points may not be trustworthy)"
    return None
