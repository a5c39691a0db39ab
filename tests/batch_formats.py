"""Validators for the files gradebooks import, written from their importers' rules.

canvas_problems: the rules of canvas-lms's GradebookImporter (app/models/gradebook_importer.rb):
header detection, student columns, assignment titles, the "Points Possible" row, delimiter
sniffing, the cells it parses. gradescope_problems: Gradescope's autograder specification
for results.json. Each returns a list of problems (empty: the file would be accepted).
output_problems: what in any output is not clean for its format (issue 22 item 8).
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

CANVAS_NON_ASSIGNMENT = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|"
                                   "Final Grade|Override Score|Override Grade|Override Status")
CANVAS_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # Assignment.title_and_id
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
GS_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
          "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GS_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
           "tags", "visibility", "extra_data"}
GS_FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def _fields(line: str, sep: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=sep)))
    except (csv.Error, StopIteration):
        return 0


def canvas_problems(text: str) -> list[str]:
    problems = []
    lines = text.splitlines()
    # Canvas sniffs the delimiter from the first three lines: ';' wins if it splits them
    # consistently into more fields than ','.
    first = lines[:3]
    counts = {}
    for sep in (";", ","):
        per_line = [_fields(line, sep) for line in first]
        counts[sep] = per_line[0] if len(set(per_line)) == 1 else 0
    if counts[";"] > counts[","]:
        problems.append("Canvas would read this file as ';'-separated")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        return problems + ["no header and Points Possible rows"]
    header = rows[0]
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        problems.append(f"invalid header row (Canvas: 'Invalid header row'): {header[:3]}")
        return problems
    student_columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        student_columns = 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        student_columns = 5
    if "Section" not in header[student_columns - 1]:
        problems.append(f"the last student column is {header[student_columns - 1]!r}, not Section")
    assignments = header[student_columns:]
    if not assignments:
        problems.append("no assignment column")
    for title in assignments:
        if CANVAS_NON_ASSIGNMENT.search(title):
            problems.append(f"column {title!r} would be dropped as a computed total")
        if not title.strip():
            problems.append("an assignment column without a title")
    if "Points Possible" not in rows[1][0]:
        problems.append("the second row is not the Points Possible row")
    else:
        for title, value in zip(assignments, rows[1][student_columns:]):
            # a blank cell leaves the grade as it is (ungraded): how a missing submission and one
            # awaiting review are written
            if value.strip() and not NUMBER.match(value.strip()):
                problems.append(f"points possible of {title!r} is {value!r}, not a number")
    for number, row in enumerate(rows[2:], start=3):
        if len(row) != len(header):
            problems.append(f"row {number} has {len(row)} cells, the header {len(header)}")
            continue
        if "Points Possible" in row[0]:
            problems.append(f"row {number} would be taken for a Points Possible row")
        if all(re.match(r"^\s*(Muted|Manual Posting.*)?\s*$", c, re.I) for c in row):
            problems.append(f"row {number} would be skipped as a muted-assignments row")
        if not (row[1].strip().isdigit() or row[2].strip() or (student_columns == 5 and row[3].strip())
                or row[0].strip()):
            problems.append(f"row {number}: no way to find the student (no ID, SIS id or name)")
        for title, value in zip(assignments, row[student_columns:]):
            # a blank cell leaves the grade as it is (ungraded): how a missing submission and one
            # awaiting review are written
            if value.strip() and not NUMBER.match(value.strip()):
                problems.append(f"row {number}: {title!r} = {value!r} is not a score")
    return problems


def canvas_title(title: str) -> tuple[str, str | None]:
    """What Canvas reads from an assignment column title: (title, assignment id or None)."""
    match = CANVAS_TITLE_AND_ID.match(title)
    return (match.group(1), match.group(2)) if match else (title, None)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def gradescope_problems(text: str) -> list[str]:
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except ValueError as exc:
        return [f"not valid JSON: {exc}"]
    problems = []
    if not isinstance(data, dict):
        return ["the top level is not an object"]
    problems += [f"unknown top-level key {k!r}" for k in data if k not in GS_TOP]
    tests = data.get("tests")
    if "score" not in data and (not isinstance(tests, list) or any("score" not in t for t in tests)):
        problems.append("no top-level score and not every test has a score")
    if "score" in data and not _number(data["score"]):
        problems.append(f"score {data['score']!r} is not a number")
    if "execution_time" in data and not _number(data["execution_time"]):
        problems.append("execution_time is not a number")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} {data[key]!r} is not one of {sorted(VISIBILITIES)}")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in GS_FORMATS:
            problems.append(f"{key} {data[key]!r} unknown")
    if "output" in data and not isinstance(data["output"], str):
        problems.append("output is not a string")
    if tests is None:
        return problems
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            problems.append(f"tests[{i}] is not an object")
            continue
        problems += [f"tests[{i}]: unknown key {k!r}" for k in test if k not in GS_TEST]
        for key in ("score", "max_score"):
            if key in test and not _number(test[key]):
                problems.append(f"tests[{i}].{key} is not a number")
        if "status" in test and test["status"] not in ("passed", "failed"):
            problems.append(f"tests[{i}].status {test['status']!r} is not passed/failed")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            problems.append(f"tests[{i}].visibility {test['visibility']!r} unknown")
        for key in ("name", "output", "number"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"tests[{i}].{key} is not a string")
        if "tags" in test and not (isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])):
            problems.append(f"tests[{i}].tags is not a list of strings")
    return problems


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# Moodle's assignfeedback_offline importer (importgradeslib.php, locallib.php process_import_grades):
# columns found by their English titles; the id is "Participant " + the participant id; a blank
# or negative grade is skipped, so is one above the assignment's maximum; Last modified (grade)
# goes through PHP's strtotime.
MOODLE_REQUIRED = ("Identifier", "Grade", "Last modified (grade)")
MOODLE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+00:00|Z)$|^\w+day, \d{1,2} \w+ \d{4}, \d{1,2}:\d{2} [AP]M$")


def moodle_worksheet_problems(text: str, maximum: float) -> list[str]:
    problems = []
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return ["empty file"]
    header = rows[0]
    for column in MOODLE_REQUIRED:
        if column not in header:
            problems.append(f"no {column!r} column: Moodle refuses the file")
    if problems:
        return problems
    ident, grade, modified = (header.index(c) for c in MOODLE_REQUIRED)
    for number, row in enumerate(rows[1:], start=2):
        if not re.fullmatch(r"Participant \d+", row[ident]):
            problems.append(f"line {number}: identifier {row[ident]!r} is not 'Participant <id>'")
        value = row[grade]
        if value and (not NUMBER.match(value) or not 0 <= float(value) <= maximum):
            problems.append(f"line {number}: grade {value!r} is skipped by Moodle (not a number from 0 to {maximum:g})")
        if not MOODLE_DATE.match(row[modified]):
            problems.append(f"line {number}: Last modified (grade) {row[modified]!r} is not a date strtotime reads")
    return problems


# -- clean outputs --------------------------------------------------------------------------------

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def outside_code_blocks(markdown: str) -> str:
    """The Markdown's text outside its fenced code blocks (inside, everything renders as text);
    every block must be closed by its own fence."""
    kept, fence = [], ""
    for row in markdown.splitlines():
        bare = row.strip()
        if fence:
            if bare == fence:
                fence = ""
            continue
        opening = re.match(r"(`{3,})", bare)
        if opening:
            fence = opening.group(1)
            continue
        kept.append(row)
    assert not fence, "a code block is never closed"
    return "\n".join(kept)


def output_problems(name: str, raw: str) -> list[str]:
    """What is unclean in one output (its path, or a stream's name), read as its format is read:
    control or bidi characters anywhere; in HTML a tag or event attribute from a submission; in
    XML a parse error, a raw `]]>` or markup; in Markdown a tag outside a fenced block; in CSV a
    cell a spreadsheet would run as a formula; in JSON such characters in a decoded string."""
    found = []
    body = raw.replace("\r\n", "\n") if name.endswith(".csv") else raw
    if UNSAFE.search(body):
        found.append(f"control or bidi character {UNSAFE.search(body).group()!r}")
    if name.endswith(".html"):
        parser = Tags()
        parser.feed(raw)
        if parser.tags & {"script", "img", "iframe"} or "onerror" in parser.attributes:
            found.append(f"markup from the submission: {parser.tags}, {parser.attributes}")
    elif name.endswith(".xml") or name in ("check --format junit", "ci junit"):
        ET.fromstring(raw.encode("utf-8"))
        if "]]>" in raw or "<script" in raw or "<img" in raw:
            found.append("raw ]]> or markup")
    elif name.endswith(".md") or name == "job summary":
        if re.search(r"<|\]\]>", outside_code_blocks(raw)):
            found.append("markup outside a code block")
    elif name.endswith(".csv"):
        for row in csv.reader(io.StringIO(raw)):
            for cell in row:
                if cell.lstrip(" ")[:1] in FORMULA and not re.fullmatch(r"-?\d+(\.\d+)?", cell):
                    found.append(f"formula cell {cell[:40]!r}")
    elif name.endswith(".json") or name in ("check --format json", "classroom result"):
        decoded = [s for s in strings(json.loads(raw)) if UNSAFE.search(s)]
        if decoded:
            found.append(f"control or bidi character in a JSON string: {decoded[0][:60]!r}")
    return found
