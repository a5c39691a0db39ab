"""Load and validate `rubric.yaml`.

The rubric is written by instructors, so every mistake in it is reported as one line that
names the file, the key and the fix, before any submission is run.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError
from grader.probes.registry import CHECKS, load_all
from grader.sandbox.limits import Limits  # the sandbox's; the rubric sets them per task

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_PACKAGE = Path(__file__).resolve().parent
# A source checkout reads the rubric instructors edit at the repository's root; an installed
# grader reads the copy its build put in the package (setup.py).
DEFAULT_RUBRIC = (_PACKAGE.parent / "rubric.yaml"
                  if (_PACKAGE.parent / "pyproject.toml").is_file() and (_PACKAGE.parent / "rubric.yaml").is_file()
                  else _PACKAGE / "rubric.yaml")


@dataclass(frozen=True)
class CheckSpec:
    id: str
    check: str  # registered check name
    points: float
    description: str
    visibility: str
    depends: tuple[str, ...]
    params: dict[str, Any]
    bonus: bool
    style: str
    timeout: float | None
    finding: str | None = None  # checks naming one finding deduct at most the task's cap for it


@dataclass(frozen=True)
class Package:
    """A package the course allows: what pip installs, and the module a program imports."""

    pip: str  # a requirement, e.g. `numpy` or `numpy>=1.24`
    module: str  # e.g. `numpy`; `sklearn` for scikit-learn


@dataclass(frozen=True)
class TaskSpec:
    name: str
    file: str
    entry_points: dict[str, str]
    checks: tuple[CheckSpec, ...]
    limits: Limits
    # Program grading (a task with `style: program` checks): every submission runs as a program;
    # `names_check` (passed: the contract's names are there) picks the contract checks instead,
    # and counts in both. `findings` caps what the checks of one finding deduct together.
    names_check: str | None = None
    findings: dict[str, float] = field(default_factory=dict)
    # What a program's `input()` answers (None: the grader's default session, see
    # grader/probes/preempt/answers.py); given to the program checks as their `input` parameter.
    input: tuple[str, ...] | None = None
    # Third-party packages the course allows (top level and the task's): installed where grading
    # runs (the Gradescope bundle's setup.sh), so a program importing one is graded normally.
    packages: tuple[Package, ...] = ()
    # Modules a submission may import beyond the audit's allow-list (grader/submission/audit_policy.py);
    # the packages' modules are allowed too (`imports_allowed`).
    allowed_imports: frozenset[str] = frozenset()

    @property
    def imports_allowed(self) -> frozenset[str]:
        """What the static audit lets a submission import beyond its own list."""
        return self.allowed_imports | {p.module for p in self.packages}

    @property
    def program_graded(self) -> bool:
        return any(c.style == "program" for c in self.checks)

    def checks_for(self, style: str) -> tuple[CheckSpec, ...]:
        """The checks that grade a submission of this style (for program grading: the program
        track is the program checks and the names check, the contract track the contract checks)."""
        if self.program_graded and style == "program":
            return tuple(c for c in self.checks if c.style == "program" or c.id == self.names_check)
        return tuple(c for c in self.checks if c.style == style)

    def max_score(self, style: str) -> float:
        """Points a submission of this style can earn (bonus aside), findings' caps applied."""
        return sum(c.points for c in self.checks_for(style) if not c.bonus)


@dataclass(frozen=True)
class Rubric:
    path: Path
    tasks: dict[str, TaskSpec]
    digest: str = field(default="")

    def task(self, name: str) -> TaskSpec:
        if name not in self.tasks:
            known = ", ".join(sorted(self.tasks)) or "none"
            raise GraderError(f"{self.path}: no task {name!r} in the rubric (tasks: {known})")
        return self.tasks[name]


def _fail(path: Path, key: str, problem: str, fix: str) -> GraderError:
    return GraderError(f"{path}: {key}: {problem}; {fix}")


RUBRIC_VERSION = 4  # the rubric format this grader reads; rubric.yaml says which one it follows
# What changed the meaning of a rubric's checks, by the version that changed it. A rubric older
# than the newest of these would be graded by checks that no longer do what it says, so it is
# refused with the list of changes instead of silently misgrading a class.
BREAKING_CHANGES = {
    2: "downloader: new script_* checks, checks about requests depend on overlap",
    3: "bank: every submission runs as a program (`names_check`, `findings`, `finding:`)",
}


def _version(path: Path, raw: Any) -> int:
    if raw is None:
        raise _fail(path, "version", "missing", f"add `version: {RUBRIC_VERSION}` after checking the "
                    "rubric against the bundled rubric.yaml")
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise _fail(path, "version", f"{raw!r} is not a rubric version", f"use `version: {RUBRIC_VERSION}`")
    if raw > RUBRIC_VERSION:
        raise _fail(path, "version", f"{raw} is newer than this grader reads ({RUBRIC_VERSION})",
                    "upgrade grader")
    changed = [f"v{v}: {what}" for v, what in sorted(BREAKING_CHANGES.items()) if v > raw]
    if changed:
        raise _fail(path, "version", f"{raw} predates changes to the checks ({'; '.join(changed)})",
                    f"compare your rubric with the bundled rubric.yaml, then set `version: {RUBRIC_VERSION}`")
    return raw


def _limits(path: Path, key: str, raw: Any, base: Limits) -> Limits:
    if raw is None:
        return base
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a mapping", "write e.g. `check_seconds: 20` under it")
    values = dict(base.__dict__)
    for name, value in raw.items():
        if name not in values:
            known = ", ".join(values)
            raise _fail(path, f"{key}.{name}", "unknown limit", f"use one of: {known}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise _fail(path, f"{key}.{name}", f"must be a positive number, got {value!r}",
                        "give a number greater than 0")
        values[name] = type(values[name])(value)
    return Limits(**values)


def _pytest_checks(path: Path, task: str, index: int, raw: dict[str, Any], ids: set[str]) -> list[CheckSpec]:
    """An instructor's own pytest file: one check per test function, all run in one sandbox run.

    `pytest: FILE` (relative to the rubric), `points_per_test: N` or `tests: {name: points}`.
    The file's text travels in the check's parameters, so editing it changes the rubric digest
    (and so invalidates cached grades) like any other rubric change.
    """
    key = f"tasks.{task}.checks[{index}]"
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid:
        raise _fail(path, f"{key}.id", "missing or not a string", "give each check a unique id")
    key = f"tasks.{task}.checks.{cid}"
    allowed = {"id", "pytest", "points_per_test", "tests", "description", "visibility", "depends",
               "timeout"}
    for name in raw:
        if name not in allowed:
            raise _fail(path, f"{key}.{name}", "unknown key for a pytest check",
                        f"use one of: {', '.join(sorted(allowed))}")
    file = path.parent / str(raw["pytest"])
    try:
        source = file.read_text(encoding="utf-8")
        tree = _parse(source, filename=str(file))
    except (OSError, UnicodeDecodeError):
        raise _fail(path, f"{key}.pytest", f"cannot read {file}", "give a path relative to the rubric") from None
    except SyntaxError as exc:
        raise _fail(path, f"{key}.pytest", f"{file.name}:{exc.lineno}: {exc.msg}",
                    "fix the syntax of the test file") from None
    found = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    points_of = raw.get("tests")
    if points_of is None:
        per = raw.get("points_per_test", 1)
        if isinstance(per, bool) or not isinstance(per, (int, float)) or per < 0:
            raise _fail(path, f"{key}.points_per_test", f"must be a number >= 0, got {per!r}",
                        "write e.g. `points_per_test: 1`")
        points_of = {name: per for name in found}
    if not isinstance(points_of, dict) or not points_of:
        raise _fail(path, f"{key}.tests", f"no test functions to score in {file.name}",
                    "name test functions test_... or list them under `tests:`")
    for name, points in points_of.items():
        if name not in found:
            raise _fail(path, f"{key}.tests.{name}", f"no function {name} in {file.name}",
                        f"use one of: {', '.join(found) or 'none'}")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise _fail(path, f"{key}.tests.{name}", f"points must be a number >= 0, got {points!r}",
                        "write e.g. `test_deposit: 2`")
    specs = []
    for name, points in points_of.items():
        entry = {k: v for k, v in raw.items() if k in ("visibility", "depends", "timeout")}
        entry.update(id=f"{cid}::{name}", check=f"{task}.pytest", points=points,
                     description=raw.get("description") or f"{file.name}::{name} passes",
                     params={"file": file.name, "source": source, "_test": name})
        specs.append(_check(path, task, index, entry, ids))
    return specs


def _check(path: Path, task: str, index: int, raw: Any, ids: set[str]) -> CheckSpec:
    key = f"tasks.{task}.checks[{index}]"
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a mapping", "give `id`, `points` and `description`")
    allowed = {"id", "check", "points", "description", "visibility", "depends", "params",
               "bonus", "style", "timeout", "finding"}
    for name in raw:
        if name not in allowed:
            raise _fail(path, f"{key}.{name}", "unknown key", f"use one of: {', '.join(sorted(allowed))}")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid:
        raise _fail(path, f"{key}.id", "missing or not a string", "give each check a unique id")
    key = f"tasks.{task}.checks.{cid}"
    if cid in ids:
        raise _fail(path, f"{key}.id", "duplicate id", "give each check a unique id")
    name = raw.get("check", f"{task}.{cid}")
    if name not in CHECKS:
        known = ", ".join(sorted(n for n in CHECKS if n.startswith(task + "."))) or "none"
        raise _fail(path, f"{key}.check", f"no registered check named {name!r}",
                    f"use one of: {known}")
    points = raw.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise _fail(path, f"{key}.points", f"must be a number >= 0, got {points!r}",
                    "write e.g. `points: 2`")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise _fail(path, f"{key}.description", "missing", "say in a sentence what the check expects")
    visibility = raw.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise _fail(path, f"{key}.visibility", f"unknown value {visibility!r}",
                    f"use one of: {', '.join(VISIBILITIES)}")
    depends = _check_depends(path, key, raw, ids)
    params, bonus, style, timeout, finding = _check_options(path, key, raw, name)
    ids.add(cid)
    return CheckSpec(cid, name, float(points), description.strip(), visibility, depends,
                     params, bonus, style, timeout, finding)


def _check_depends(path: Path, key: str, raw: dict[str, Any], ids: set[str]) -> tuple[str, ...]:
    """A check's `depends`: one id or a list, each of a check listed above it."""
    depends = raw.get("depends", [])
    if isinstance(depends, str):
        depends = [depends]
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _fail(path, f"{key}.depends", "must be a list of check ids", "write e.g. `depends: [api]`")
    for dep in depends:
        if dep not in ids:
            raise _fail(path, f"{key}.depends", f"{dep!r} is not a check listed before this one",
                        "list a check's dependencies above it")
    return tuple(depends)


def _check_options(path: Path, key: str, raw: dict[str, Any], name: str
                   ) -> tuple[dict[str, Any], bool, str, float | None, str | None]:
    """A check's optional keys, checked in order: params, bonus, style, timeout, finding."""
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise _fail(path, f"{key}.params", "must be a mapping", "write e.g. `params: {threads: 4}`")
    bonus = raw.get("bonus", False)
    if not isinstance(bonus, bool):
        raise _fail(path, f"{key}.bonus", "must be true or false", "write `bonus: true`")
    style = raw.get("style", CHECKS[name].style)
    if style != CHECKS[name].style:
        raise _fail(path, f"{key}.style", f"check {name!r} grades {CHECKS[name].style}-style code",
                    f"write `style: {CHECKS[name].style}` or drop the key")
    timeout = raw.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or timeout <= 0):
        raise _fail(path, f"{key}.timeout", f"must be a positive number of seconds, got {timeout!r}",
                    "write e.g. `timeout: 10`")
    finding = raw.get("finding")
    if finding is not None and (not isinstance(finding, str) or not finding.isidentifier()):
        raise _fail(path, f"{key}.finding", f"must be a name, got {finding!r}",
                    "write e.g. `finding: race` and list it under the task's `findings`")
    return params, bonus, style, float(timeout) if timeout else None, finding


def _program_grading(path: Path, key: str, traw: dict[str, Any], checks: tuple[CheckSpec, ...]
                     ) -> tuple[str | None, dict[str, float]]:
    """Validate `names_check` and `findings` (every finding a check names must have a cap).

    The two tracks' maxima may differ (an instructor's pytest file adds contract checks only);
    the report gives the maximum of the track a submission took. The bundled rubric keeps them
    equal (tests/test_rubric.py)."""
    findings_raw = traw.get("findings", {})
    if not isinstance(findings_raw, dict) or not all(
            isinstance(k, str) and not isinstance(v, bool) and isinstance(v, (int, float)) and v >= 0
            for k, v in findings_raw.items()):
        raise _fail(path, f"{key}.findings", "must map finding names to the most points they deduct",
                    "write e.g. `findings: {race: 6}`")
    findings = {k: float(v) for k, v in findings_raw.items()}
    for spec in checks:
        if spec.finding is not None and spec.finding not in findings:
            raise _fail(path, f"{key}.checks.{spec.id}.finding", f"{spec.finding!r} is not listed "
                        "under the task's `findings`", f"add `findings: {{{spec.finding}: POINTS}}`")
    names_check = traw.get("names_check")
    program = [c for c in checks if c.style == "program"]
    contract = [c for c in checks if c.style == "contract"]
    if names_check is None:
        if program and contract:
            raise _fail(path, f"{key}.names_check", "missing", "name the check that tells whether "
                        "the contract's names are there (e.g. `names_check: api`)")
        return None, findings
    by_id = {c.id: c for c in checks}
    if names_check not in by_id or by_id[names_check].style != "contract":
        raise _fail(path, f"{key}.names_check", f"{names_check!r} is not a contract check of this task",
                    "name one of its contract checks (e.g. `api`)")
    return names_check, findings


_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9_,.-]+\])?"
                          r"\s*((?:[<>=!~]=?|===)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:[<>=!~]=?|===)\s*"
                          r"[A-Za-z0-9.*+!_-]+\s*)*)?$")
KNOWN_MODULES = {"scikit-learn": "sklearn", "pillow": "PIL", "opencv-python": "cv2",
                 "pyyaml": "yaml", "beautifulsoup4": "bs4", "python-dateutil": "dateutil"}


def _packages(path: Path, key: str, raw: Any) -> tuple[Package, ...]:
    """`packages: [numpy, "requests>=2.31", {pip: scikit-learn, module: sklearn}]`."""
    fix = "write e.g. `packages: [numpy]` or `packages: [{pip: scikit-learn, module: sklearn}]`"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(path, key, "must be a list of package names", fix)
    found: list[Package] = []
    for index, entry in enumerate(raw):
        where = f"{key}[{index}]"
        if isinstance(entry, dict):
            if set(entry) - {"pip", "module"} or not isinstance(entry.get("pip"), str):
                raise _fail(path, where, "must give `pip` (and optionally `module`)", fix)
            requirement, module = entry["pip"].strip(), entry.get("module")
        elif isinstance(entry, str):
            requirement, module = entry.strip(), None
        else:
            raise _fail(path, where, f"must be a package name, got {entry!r}", fix)
        match = _REQUIREMENT.match(requirement)
        if not match:
            raise _fail(path, where, f"{requirement!r} is not a pip requirement", fix)
        name = match.group(1)
        if module is None:
            module = KNOWN_MODULES.get(name.lower(), name.replace("-", "_"))
        if not isinstance(module, str) or not all(part.isidentifier() for part in module.split(".")):
            raise _fail(path, f"{where}.module", f"must be the module a program imports, got {module!r}",
                        fix)
        found.append(Package(requirement, module.split(".")[0]))
    return tuple(found)


def _answers(path: Path, key: str, raw: Any) -> tuple[str, ...] | None:
    """`input: [5, 2, 10]`: the scripted session a program's `input()` reads, one answer a line."""
    if raw is None:
        return None
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not all(
            isinstance(a, (str, int, float)) and not isinstance(a, bool) and "\n" not in str(a)
            for a in raw):
        raise _fail(path, key, "must be a list of answers (one line each)",
                    "write e.g. `input: [5, 2, 10]` (what the program's input() calls return, in order)")
    return tuple(str(a) for a in raw)


def _allowed_imports(path: Path, key: str, traw: dict[str, Any]) -> frozenset[str]:
    """Modules the static audit lets this task's submissions import beyond its own list."""
    imports = traw.get("allowed_imports", [])
    if not isinstance(imports, list) or not all(
            isinstance(m, str) and m and all(part.isidentifier() for part in m.split(".")) for m in imports):
        raise _fail(path, f"{key}.allowed_imports", "must be a list of module names",
                    "write e.g. `allowed_imports: [subprocess, tqdm]`")
    return frozenset(imports)


def parse_rubric(path: Path, text: str) -> Rubric:
    load_all()
    data = _yaml(path, text)
    if not isinstance(data, dict):
        raise _fail(path, "top level", "must be a mapping with a `tasks` key", "see the bundled rubric.yaml")
    for name in data:
        if name not in ("version", "limits", "tasks", "packages"):
            raise _fail(path, str(name), "unknown key",
                        "use `version`, `limits`, `packages` and `tasks`")
    _version(path, data.get("version"))
    base = _limits(path, "limits", data.get("limits"), Limits())
    base_packages = _packages(path, "packages", data.get("packages"))
    tasks_raw = data.get("tasks")
    if not isinstance(tasks_raw, dict) or not tasks_raw:
        raise _fail(path, "tasks", "missing or empty", "list at least one task (bank, downloader)")
    tasks = {tname: _task(path, tname, traw, base, base_packages) for tname, traw in tasks_raw.items()}
    digest_input = hashlib.sha256(text.encode())
    for task in tasks.values():  # instructors' test files are part of the rubric
        for spec in task.checks:
            digest_input.update(str(spec.params.get("source", "")).encode())
    digest = digest_input.hexdigest()
    return Rubric(path, tasks, digest)


# libyaml's safe loader where PyYAML was built with it (PyPI's wheels are): the same documents
# and the same error marks as yaml.SafeLoader, about 15 times faster, and every `grader check`
# parses the rubric (70 ms of pure-Python parsing for the default rubric).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path, text: str) -> Any:
    """The YAML document, or one line naming where its syntax breaks."""
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise GraderError(f"{path}: {where}: {problem}; fix the YAML syntax there") from None


def _task(path: Path, tname: str, traw: Any, base: Limits, base_packages: tuple[Package, ...]) -> TaskSpec:
    """One task of the rubric, each key checked in turn (its checks by `_check`)."""
    key = f"tasks.{tname}"
    if not isinstance(traw, dict):
        raise _fail(path, key, "must be a mapping", "give `file`, `entry_points` and `checks`")
    for name in traw:
        if name not in ("file", "entry_points", "checks", "limits", "names_check", "findings",
                        "input", "packages", "allowed_imports"):
            raise _fail(path, f"{key}.{name}", "unknown key",
                        "use `file`, `entry_points`, `checks`, `limits`, `names_check`, "
                        "`findings`, `input`, `packages` and `allowed_imports`")
    file = traw.get("file")
    if not isinstance(file, str) or not file.endswith(".py") or "/" in file:
        raise _fail(path, f"{key}.file", f"must be a Python file name, got {file!r}",
                    "write e.g. `file: bank.py`")
    entry = traw.get("entry_points", {})
    if not isinstance(entry, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.isidentifier() for k, v in entry.items()):
        raise _fail(path, f"{key}.entry_points", "must map roles to Python names",
                    "write e.g. `simulate: simulate`")
    checks = _task_checks(path, tname, traw)
    names_check, findings = _program_grading(path, key, traw, checks)
    answers = _answers(path, f"{key}.input", traw.get("input"))
    if answers is not None:  # the program checks' probe runs the program with these answers
        checks = tuple(dataclasses.replace(c, params={"input": list(answers), **c.params})
                       if c.style == "program" else c for c in checks)
    packages = base_packages + tuple(
        p for p in _packages(path, f"{key}.packages", traw.get("packages")) if p not in base_packages)
    return TaskSpec(tname, file, dict(entry), checks, _limits(path, f"{key}.limits", traw.get("limits"), base),
                    names_check, findings, answers, packages, _allowed_imports(path, key, traw))


def _task_checks(path: Path, tname: str, traw: dict[str, Any]) -> tuple[CheckSpec, ...]:
    """A task's checks in order (an instructor's pytest file gives one per test), each a check
    registered for this task."""
    key = f"tasks.{tname}"
    checks_raw = traw.get("checks")
    if not isinstance(checks_raw, list) or not checks_raw:
        raise _fail(path, f"{key}.checks", "missing or empty", "list the checks to run")
    ids: set[str] = set()
    checks = tuple(spec for i, c in enumerate(checks_raw) for spec in (
        _pytest_checks(path, tname, i, c, ids) if isinstance(c, dict) and "pytest" in c
        else [_check(path, tname, i, c, ids)]))
    for spec in checks:
        if not spec.check.startswith(f"{tname}."):
            raise _fail(path, f"{key}.checks.{spec.id}.check",
                        f"{spec.check!r} belongs to another task", f"use a `{tname}.` check")
    return checks


def load_rubric(path: str | Path | None = None) -> Rubric:
    path = Path(path) if path else DEFAULT_RUBRIC
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraderError(f"{path}: rubric not found; pass --rubric PATH to an existing rubric.yaml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path}: cannot read the rubric ({exc.__class__.__name__}); "
                          "check the file's permissions and encoding (UTF-8)") from None
    return parse_rubric(path, text)


def _parse(source: str, filename: str) -> ast.Module:
    """An instructor's test file's AST, parsed one at a time with every other parse of the
    grader (grader.probes.syntax; imported here, when the rubric module is complete)."""
    from grader.probes import syntax

    return syntax.parse(source, filename=filename)

