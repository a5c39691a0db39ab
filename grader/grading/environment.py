"""Modules a submission imports that the grading environment lacks.

`import numpy` where grading runs without numpy fails the whole run, and every check with it: a
0 that says nothing about the student's threads. Whether numpy may be used is the course's call
(the rubric's `packages:`), and whether it is installed is the grader's side. So a module the
submission itself imports, that its run reports missing, puts the grade under review instead:
"the program needs X, which this course's grading environment does not provide", or, for a
package the course allows, an environment error of the grader's (install it and regrade).

The child's word that a module is missing is not trusted alone: the module must be one the
submission's own files import, and not one of those files itself.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, Iterator

from grader.probes import syntax
from grader.probes.protocol import ProbeResult
from grader.rubric import TaskSpec
from grader.sandbox import untrusted

_PHRASE = "No module named"
_MISSING = re.compile(_PHRASE + r" '([A-Za-z_][A-Za-z0-9_.]*)'")
_IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")
_MAX_NODES = 20_000  # how much of an observation is searched (it is the child's, of any size)
MAX_FILES = 50


def imported_modules(source: str) -> set[str]:
    """Top-level names of the absolute imports in `source` (`import a.b` -> `a`)."""
    try:
        tree = syntax.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _errors(value: Any) -> Iterator[str]:
    """The messages of the import errors recorded anywhere in an observation."""
    stack, seen = [value], 0
    while stack and seen < _MAX_NODES:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            if item.get("type") in _IMPORT_ERRORS and isinstance(item.get("message"), str):
                yield item["message"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def reported_missing(import_error: str | None, observations: dict[str, Any]) -> set[str]:
    """Modules the run said it could not find (top-level names)."""
    records = [r.to_wire() if isinstance(r, ProbeResult) else r for r in observations.values()]
    if _PHRASE not in json.dumps(records, skipkeys=True, default=str):
        # (one C-speed pass: a run that reported no missing module anywhere, the usual case,
        # is not walked node by node)
        return {match.group(1).split(".")[0] for match in _MISSING.finditer(import_error or "")}
    texts = [import_error or ""] + list(_errors(records))
    return {match.group(1).split(".")[0] for text in texts for match in _MISSING.finditer(text)}


def environment_reasons(task: TaskSpec, path: Path, import_error: str | None,
                        observations: dict[str, Any]) -> list[str]:
    """Review reasons for the modules the submission imports that its run found missing."""
    missing = reported_missing(import_error, observations)
    if not missing:
        return []
    files = sorted(path.parent.glob("*.py"))[:MAX_FILES]  # the sibling modules it ships
    own = {p.stem for p in files}
    imported: set[str] = set()
    for file in {path, *files}:
        try:
            imported |= imported_modules(file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            continue
    allowed = {package.module: package.pip for package in task.packages}
    reasons = []
    for module in sorted((missing & imported) - own):
        shown = untrusted.name(module)
        if module in allowed:
            reasons.append(
                f"grading environment error (the grader's side, not the student's): the course "
                f"allows {shown} (the rubric's `packages:`), but it is not installed where this "
                f"grading ran, so the program could not import it; install it "
                f"(python3 -m pip install {allowed[module]}) and regrade")
        else:
            reasons.append(
                f"the program needs {shown}, which this course's grading environment does not "
                f"provide (the score reflects a run that stopped at `import {shown}`; a course "
                f"that allows it lists it under the rubric's `packages:`)")
    return reasons
