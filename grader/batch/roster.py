"""Read a class roster and match submissions to it.

Instructors have rosters in whatever their LMS exports, so the reader takes the common column
names instead of one format: Canvas's gradebook export (Student, ID, SIS User ID, SIS Login
ID, Section; its "Points Possible" row is skipped), Moodle's (First name, Last name, Email
address, ID number), GitHub Classroom's classroom_roster.csv (identifier, github_username,
name), or a hand-made id,name,email. A student on the roster with no submission still gets a
row (0, "no submission"); a submission from someone not on the roster is graded and flagged.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.naming import word_form
from grader.batch.records import Found, Student
from grader.errors import GraderError

COLUMNS: dict[str, tuple[str, ...]] = {
    "canvas_id": ("id", "canvas id", "canvas user id", "user id", "userid", "user_id"),
    "key": ("student id", "student_id", "studentid", "identifier", "participant", "username",
            "user name", "login", "id number", "idnumber"),
    "name": ("student", "name", "full name", "fullname", "student name", "display name"),
    "first": ("first name", "firstname", "first_name", "given name"),
    "last": ("last name", "lastname", "last_name", "surname", "family name"),
    "email": ("email", "email address", "e-mail", "e-mail address", "mail"),
    "sis_user_id": ("sis user id", "sis_user_id"),
    "sis_login_id": ("sis login id", "sis_login_id"),
    "section": ("section", "sections", "group"),
    "github": ("github_username", "github username", "github", "github user", "github login"),
    "moodle_modified": ("last modified (grade)",),
}


# Canvas's gradebook export names an assignment column `Title (12345)`; its computed columns
# (totals, "Unposted" scores) are not assignments.
ASSIGNMENT_COLUMN = re.compile(r"\A(.*\S)\s\((\d+)\)\Z")
# Word boundaries: "Concurrent downloader (4712)" is an assignment, "Current Score" is not.
NOT_ASSIGNMENT = re.compile(r"\b(?:Current|Final|Unposted|Override) (?:Score|Points|Grade)\b|"
                            r"\bPoints Possible\b", re.I)


@dataclass
class Roster:
    students: list[Student]
    github: dict[str, str] = field(default_factory=dict)  # student key -> GitHub user name
    _index: dict[str, int] = field(default_factory=dict)
    assignments: list[str] = field(default_factory=list)  # the export's assignment columns

    def __post_init__(self) -> None:
        for i, s in enumerate(self.students):
            for value in (s.key, s.canvas_id, s.sis_user_id, s.sis_login_id, s.email,
                          self.github.get(s.key, "")):
                if value:
                    self._index.setdefault(_norm_id(value), i)
            if s.email:
                self._index.setdefault("@" + _norm_id(s.email.split("@")[0]), i)
            for variant in _name_variants(s.name, s.sortable_name):
                self._index.setdefault("name:" + variant, i)

    def github_users(self) -> frozenset[str]:
        return frozenset(u.lower() for u in self.github.values() if u)

    def match(self, found: Found) -> int | None:
        """The roster row a discovered submission belongs to: by id first, then by name."""
        for value in (found.lms_id, found.key, found.email):
            if value and _norm_id(value) in self._index:
                return self._index[_norm_id(value)]
        if found.email and "@" + _norm_id(found.email.split("@")[0]) in self._index:
            return self._index["@" + _norm_id(found.email.split("@")[0])]
        if found.key and "@" + _norm_id(found.key) in self._index:
            return self._index["@" + _norm_id(found.key)]
        for variant in _name_variants(found.name, ""):
            if "name:" + variant in self._index:
                return self._index["name:" + variant]
        return None


def _participant(value: str) -> str:
    """The number of Moodle's worksheet identifier `Participant 123`, else ""."""
    match = re.fullmatch(r"participant\s*(\d+)", value.strip(), re.IGNORECASE)
    return match.group(1) if match else ""


def _norm_id(value: str) -> str:
    """Ids compare without case, and Moodle's worksheet "Participant 123" equals the 123 in its
    download folder names."""
    value = value.strip().lower()
    return value[len("participant"):].strip() if value.startswith("participant") else value


def _name_variants(name: str, sortable: str) -> set[str]:
    """Spellings of a name that LMS file names produce: "John Smith", "Smith, John",
    "smith_john", "smithjohn"; accents and punctuation dropped, case ignored."""
    variants: set[str] = set()
    for text in (name, sortable):
        words = re.findall(r"[^\W\d_]+", text.lower())
        if not words:
            continue
        if "," in text:  # "Last, First" -> also "First Last"
            head, _, tail = text.partition(",")
            words_first = re.findall(r"[^\W\d_]+", (tail + " " + head).lower())
            variants.add("".join(words_first))
            variants.add("".join(reversed(words_first)))
        variants.add("".join(words))
        variants.add("".join(reversed(words)))
        variants.add("".join(sorted(words)))
    return {v for v in variants if v}


def _column(header: list[str], role: str) -> int | None:
    lowered = [h.strip().lstrip("\ufeff").lower() for h in header]
    for alias in COLUMNS[role]:
        if alias in lowered:
            return lowered.index(alias)
    return None


def load_roster(path: str | Path) -> Roster:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path}: cannot read the roster ({type(exc).__name__}); "
                          "give a UTF-8 CSV file with a header row") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise GraderError(f"{path}: the roster is empty; give a CSV with a header row and one row per student")
    header, body = rows[0], rows[1:]
    cols = {role: _column(header, role) for role in COLUMNS}
    if cols["key"] is None and cols["canvas_id"] is None and cols["email"] is None and cols["github"] is None:
        raise GraderError(f"{path}: no id column in the roster header ({', '.join(header)}); "
                          "name one of them ID, Student ID, Email or github_username")

    def cell(row: list[str], role: str) -> str:
        index = cols[role]
        return row[index].strip() if index is not None and index < len(row) else ""

    students: list[Student] = []
    github: dict[str, str] = {}
    seen: set[str] = set()
    for row in body:
        if not any(c.strip() for c in row) or (row and "points possible" in row[0].lower()):
            continue
        name = cell(row, "name")
        sortable = ""
        if "," in name:
            sortable = name
            last, _, first = name.partition(",")
            name = f"{first.strip()} {last.strip()}".strip()
        if not name and (cell(row, "first") or cell(row, "last")):
            name = f"{cell(row, 'first')} {cell(row, 'last')}".strip()
            sortable = f"{cell(row, 'last')}, {cell(row, 'first')}".strip(", ")
        key = (cell(row, "key") or cell(row, "canvas_id") or cell(row, "sis_user_id")
               or cell(row, "github") or cell(row, "email"))
        canvas_id = cell(row, "canvas_id")
        if not key or key in seen:
            continue
        seen.add(key)
        students.append(Student(key=key, name=name or key, email=cell(row, "email"),
                                canvas_id=canvas_id if canvas_id.isdigit() else "", sis_user_id=cell(row, "sis_user_id"),
                                sis_login_id=cell(row, "sis_login_id"), section=cell(row, "section"),
                                sortable_name=sortable, on_roster=True,
                                moodle_id=_participant(key), moodle_modified=cell(row, "moodle_modified")))
        if cell(row, "github"):
            github[key] = cell(row, "github")
    assignments = [h.strip() for h in header if ASSIGNMENT_COLUMN.match(h.strip())
                   and not NOT_ASSIGNMENT.search(h)]
    return Roster(students, github, assignments=assignments)


# A title's words: letters and digits, camelCase split ("BankAccount" -> bank, account), any
# script (a bilingual course titles "Cuenta bancaria / Bank account"), case and accents ignored.
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _words(text: str) -> list[str]:
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", _CAMEL.sub(" ", plain).lower())


def title_names_task(title: str, names: list[str], loose: bool = False) -> bool:
    """Whether an assignment title names a task: all the words of one of `names` (the task's
    name, its file's stem) are whole words of it (`HW3: Bank account` names bank, `Concurrent
    downloader` names downloader, `Bankruptcy quiz` does not). `loose` also accepts other forms
    of the words (`Downloading pages`)."""
    words = set(_words(title))
    for name in names:
        wanted = set(_words(name))
        if not wanted:
            continue
        if wanted <= words or (loose and {word_form(w) for w in wanted} <= {word_form(w) for w in words}):
            return True
    return False


def _title_part(column: str) -> str:
    match = ASSIGNMENT_COLUMN.match(column)
    return match.group(1) if match else column


def assignment_titles(roster: Roster | None, tasks: list[tuple[str, str]],
                      given: dict[str, str], warnings: list[str] | None = None) -> dict[str, str]:
    """Gradebook column titles: `--assignment` where given, else the roster's one assignment
    column naming the task (or its file's stem) as a whole word, e.g. `Bank account (4711)` for
    bank/bank.py; exact words first, then other forms of them. Several candidates cannot be
    chosen between: the instructor says which. A task no column names is one warning listing
    the columns there are (canvas.csv would otherwise create an assignment of its own)."""
    titles = dict(given)
    if roster is None:
        return titles
    for task, file in tasks:
        if task in titles:
            continue
        names = [task, Path(file).stem]
        matches = [a for a in roster.assignments if title_names_task(_title_part(a), names)]
        if not matches:
            matches = [a for a in roster.assignments if title_names_task(_title_part(a), names, loose=True)]
        if len(matches) == 1:
            titles[task] = matches[0]
        elif len(matches) > 1:
            options = " or ".join(repr(m) for m in matches)
            raise GraderError(f"the roster has several assignment columns for task {task} ({options}); "
                              f"choose one with --assignment {task}=TITLE")
        elif roster.assignments and warnings is not None:
            shown = ", ".join(repr(a) for a in roster.assignments[:8])
            more = f" and {len(roster.assignments) - 8} more" if len(roster.assignments) > 8 else ""
            warnings.append(f"task {task}: no assignment column of the roster names it (columns: "
                            f"{shown}{more}); canvas.csv titles it {task!r}, which Canvas imports as a "
                            f"new assignment: pass --assignment {task}=TITLE to grade the right column")
    return titles
