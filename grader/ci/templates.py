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
import shlex
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

GITHUB = """{marker} {version}: grades every push with the course's grader.
# The points shown here are feedback; the grade of record comes from the course's `grader batch`.
name: Autograding Tests
"on":
  push:
  workflow_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  grade:
    name: Autograding Tests
    runs-on: ubuntu-latest
    timeout-minutes: 20
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
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
        id: grader
        run: grader check --github --junit "$RUNNER_TEMP/{junit}"{args}
      - name: Keep the JUnit report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: grader-junit
          path: ${{{{ runner.temp }}}}/{junit}
          if-no-files-found: ignore
      - name: Report the points to GitHub Classroom
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          GRADER_RESULTS: "${{{{ steps.grader.outputs.result }}}}"
        with:
          runners: grader
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


def render(options: CiOptions) -> str:
    source, ref = options.source, options.ref
    if source == DEFAULT_SOURCE:
        found = installed_from()
        if found is None:
            raise GraderError("init-ci: this grader was not installed from a git URL; give --source "
                              "(the git URL of the course's grader) and --ref (a tag or commit)")
        source, ref = found[0], ref or found[1]
    if not ref:
        ref = f"v{__version__}"
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
                           ref=_yaml_scalar(ref), junit=JUNIT, args=args, python=PYTHON)


def write_template(folder: Path, options: CiOptions, force: bool = False) -> Path:
    if not folder.is_dir():
        raise GraderError(f"{folder}: no such folder; give the repository's folder")
    path = folder / (GITLAB_PATH if options.gitlab else GITHUB_PATH)
    text = render(options)
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
