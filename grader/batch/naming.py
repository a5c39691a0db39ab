"""What the names LMSs give to downloaded submissions say about who submitted what.

Pure functions on strings, so each naming rule is testable on its own:

* Canvas "Download submissions": `<name>_[late_]<user id>_<submission id>_<file as uploaded>`,
  where `<name>` is the student's name (`lastname_firstname` or `lastnamefirstname`) and a
  re-uploaded file gets a `-1`, `-2`, ... suffix (`bank-1.py`).
* Moodle "Download all submissions": `<Full Name>_<participant id>_assignsubmission_file_`
  as a folder, or as a prefix of each file when folders are off.
* GitHub Classroom: repositories `<assignment>-<github user>/` cloned side by side.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CANVAS = re.compile(r"^(?P<name>[^_].*?)_(?P<late>late_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$",
                    re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
SUFFIX = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class CanvasName:
    name: str
    user_id: str
    submission_id: str
    filename: str  # as the student uploaded it (with Canvas's -N suffix, if any)
    late: bool


@dataclass(frozen=True)
class MoodleName:
    name: str
    participant_id: str
    rest: str  # the file name after the prefix ("" for a folder)


def parse_canvas(filename: str) -> CanvasName | None:
    match = CANVAS.match(filename)
    if not match:
        return None
    return CanvasName(match["name"], match["uid"], match["sid"], match["file"], bool(match["late"]))


def parse_moodle(filename: str) -> MoodleName | None:
    match = MOODLE.match(filename)
    if not match:
        return None
    return MoodleName(match["name"].strip(), match["pid"], match["rest"])


def uploaded_name(filename: str) -> str:
    """The file's name as the student gave it: an LMS's prefix (Canvas's
    `<name>_<user id>_<submission id>_`, Moodle's `..._assignsubmission_file_`) taken off."""
    if (canvas := parse_canvas(filename)) is not None:
        return canvas.filename
    if (moodle := parse_moodle(filename)) is not None and moodle.rest:
        return moodle.rest
    return filename


def resubmission(filename: str) -> tuple[str, int]:
    """`bank-2.py` -> (`bank.py`, 2); `bank.py` -> (`bank.py`, 0).

    Canvas renames a re-uploaded file this way, so the highest number is the newest upload."""
    match = SUFFIX.match(filename)
    if not match:
        return filename, 0
    return match["stem"] + match["ext"], int(match["n"])


def matches_task_file(filename: str, task_file: str) -> int | None:
    """None if `filename` is not the task's file; else its resubmission number (0 for the name
    itself). Case is ignored: students on case-insensitive systems write `Bank.py`."""
    base, number = resubmission(filename)
    if filename.lower() == task_file.lower():
        return 0
    if base.lower() == task_file.lower():
        return number
    return None


def display_name(raw: str) -> tuple[str, str]:
    """A readable name and a sortable one ("Last, First") from an LMS file name's name part.

    `smith_john` is read as Canvas's `lastname_firstname`; anything else is kept as written."""
    parts = [p for p in re.split(r"[_\s]+", raw.strip()) if p]
    if len(parts) == 2 and "_" in raw:
        last, first = (p.capitalize() if p.islower() else p for p in parts)
        return f"{first} {last}", f"{last}, {first}"
    name = " ".join(parts) or raw
    return name, name


def classroom_users(folders: list[str], known_users: frozenset[str] = frozenset()
                    ) -> dict[str, tuple[str, str]] | None:
    """Map each `<assignment>-<user>` folder name to (assignment, user), or None if the names
    do not look like GitHub Classroom's.

    GitHub user names and assignment slugs may both contain dashes, so the split is a guess:
    a split whose user is on the roster (`known_users`, lower case) wins; otherwise the prefix
    shared by the most folders (the longer one on a tie) is the assignment, repeatedly, so a
    course with one repository per task (`bank-alice`, `downloader-alice`) works too. Every
    folder must get a prefix and a non-empty user.
    """
    if not folders:
        return None
    result: dict[str, tuple[str, str]] = {}
    rest: list[str] = []
    for name in folders:
        pieces = name.split("-")
        known = [i for i in range(1, len(pieces)) if "-".join(pieces[i:]).lower() in known_users]
        if known:
            i = known[0]
            result[name] = "-".join(pieces[:i]), "-".join(pieces[i:])
        else:
            rest.append(name)
    while rest:
        counts: dict[str, int] = {}
        for name in rest:
            pieces = name.split("-")
            for i in range(1, len(pieces)):
                prefix = "-".join(pieces[:i])
                counts[prefix] = counts.get(prefix, 0) + 1
        if not counts:
            return None
        prefix = max(counts, key=lambda p: (counts[p], len(p)))
        if counts[prefix] < min(2, len(folders)):
            return None
        taken = [n for n in rest if n.startswith(prefix + "-")]
        for name in taken:
            result[name] = prefix, name[len(prefix) + 1:]
        rest = [n for n in rest if n not in taken]
    return result


# -- misnamed uploads ---------------------------------------------------------------------------

_SPLIT = re.compile(r"[^\W_]+")
_LETTERS_DIGITS = re.compile(r"[^\W\d_]+|\d+")
_SUFFIXES = ("ing", "ers", "er", "s")


def word_form(word: str) -> str:
    """`downloader`, `downloading`, `downloads` -> `download`: another form of a task's name in a
    file name or an assignment title; stems shorter than 4 letters are kept whole."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def name_words(filename: str) -> list[str]:
    """The words of a file name without its extension: `Bank_final (1).py` -> bank, final, 1;
    `bank-v2.py` -> bank, v, 2; `MyBank2.py` -> my, bank, 2."""
    stem = filename.rsplit(".", 1)[0] if "." in filename.lstrip(".") else filename
    stem = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    return [w for part in _SPLIT.findall(stem.lower()) for w in _LETTERS_DIGITS.findall(part)]


def names_task(filename: str, task_file: str) -> bool:
    """Whether a file's name names a task's file as a whole word, in some form: `bank_final.py`,
    `bank (1).py`, `bank-v2.py`, `Bank2.py`, `my_bank.docx` for bank.py; `bankruptcy.py` and
    `test_bank.py` not."""
    wanted = {word_form(w) for w in name_words(task_file)}
    words = {word_form(w) for w in name_words(filename)}
    if "test" in words - wanted:  # `test_bank.py` tests the bank, it is not the bank
        return False
    return bool(wanted) and wanted <= words
