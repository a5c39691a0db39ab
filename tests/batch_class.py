"""A generated class of students, written out in each layout instructors meet.

Shared by tests/test_batch.py and bench/batch_bench.py. Submissions are copies of real ones
(the reference solutions and labelled corpus files), so their grades are known; `unique=True`
appends a comment naming the student, so that every file has its own content (and its own
grading) as in a real class.
"""
from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Ada", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jun", "Kofi", "Lena"]
LAST = ["Smith", "Okafor", "Nguyen", "Garcia", "Muller", "Rossi", "Tanaka", "Kowalski", "Haddad",
        "Silva", "Novak", "Berg"]
FILES = {"bank": "bank.py", "downloader": "downloader.py"}


def corpus(task: str, name: str) -> str:
    if name == "reference":
        return (ROOT / "reference" / FILES[task]).read_text(encoding="utf-8")
    return (ROOT / "tests" / "corpus" / task / f"{name}.py").read_text(encoding="utf-8")


SYNTAX_ERROR = "class BankAccount:\n    def deposit(self, amount)\n        pass\n"


@dataclass
class Pupil:
    index: int
    first: str
    last: str
    files: dict[str, str] = field(default_factory=dict)  # task -> source (absent: no submission)
    older: dict[str, str] = field(default_factory=dict)  # task -> an earlier upload (Canvas -1 suffix)
    late: bool = False
    zipped: bool = False  # uploads a zip instead of files

    @property
    def canvas_id(self) -> str:
        return str(41000 + self.index)

    @property
    def submission_id(self) -> str:
        return str(9_100_000 + self.index)

    @property
    def moodle_id(self) -> str:
        return str(1_020_300 + self.index)

    @property
    def login(self) -> str:
        return f"{self.first[0].lower()}{self.last.lower()}{self.index}"

    @property
    def github(self) -> str:
        return f"{self.first.lower()}-{self.last.lower()}-{self.index}"  # dashes, as GitHub allows

    @property
    def email(self) -> str:
        return f"{self.login}@example.edu"

    @property
    def section(self) -> str:
        return f"Section {1 + self.index % 2}"


def make_class(size: int, tasks: list[str], sources: dict[str, list[str]], *, unique: bool = False,
               missing_every: int = 0, extras: int = 0) -> list[Pupil]:
    """`size` students with files cycled from `sources[task]`; every `missing_every`-th student
    lacks the last task; `extras` more students (on the roster only) submit nothing."""
    pupils = []
    for i in range(size + extras):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + i) % len(LAST)]
        pupil = Pupil(i, first, last)
        if i < size:
            for task in tasks:
                if missing_every and task == tasks[-1] and i % missing_every == missing_every - 1:
                    continue
                text = sources[task][i % len(sources[task])]
                pupil.files[task] = text + (f"\n# submitted by student {i}\n" if unique else "")
            pupil.late = i % 9 == 4
        pupils.append(pupil)
    return pupils


def _zip_files(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in sorted(files.items()):
            zf.writestr(name, text)


def write_layout(pupils: list[Pupil], layout: str, dest: Path) -> Path:
    """Write the class under `dest` in `layout`; returns the folder (or zip) to grade."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in pupils:
        if not p.files:
            continue
        named = {FILES[t]: text for t, text in p.files.items()}
        if layout == "folders":
            folder = dest / p.login
            folder.mkdir()
            if p.zipped:
                _zip_files(folder / "work.zip", named)
            for name, text in ({} if p.zipped else named).items():
                (folder / name).write_text(text, encoding="utf-8")
        elif layout in ("canvas", "canvas-zip"):
            prefix = (f"{p.last.lower()}_{p.first.lower()}_{'late_' if p.late else ''}"
                      f"{p.canvas_id}_{p.submission_id}_")
            if p.zipped:
                _zip_files(dest / f"{prefix}submission.zip", named)
                continue
            for task, text in p.files.items():
                if task in p.older:  # the earlier upload keeps the name, the newest gets -1
                    (dest / f"{prefix}{FILES[task]}").write_text(p.older[task], encoding="utf-8")
                    (dest / f"{prefix}{FILES[task][:-3]}-1.py").write_text(text, encoding="utf-8")
                else:
                    (dest / f"{prefix}{FILES[task]}").write_text(text, encoding="utf-8")
        elif layout == "moodle":
            folder = dest / f"{p.first} {p.last}_{p.moodle_id}_assignsubmission_file_"
            folder.mkdir()
            for name, text in named.items():
                (folder / name).write_text(text, encoding="utf-8")
        elif layout == "classroom":
            folder = dest / f"threads-hw-{p.github}"
            (folder / ".git").mkdir(parents=True)
            (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
            (folder / "README.md").write_text(f"# threads-hw for {p.github}\n")
            for name, text in named.items():
                (folder / name).write_text(text, encoding="utf-8")
        else:
            raise ValueError(layout)
    if layout == "canvas-zip":  # Canvas's "Download submissions" zip, of the flat folder
        archive = dest.with_suffix(".zip")
        with zipfile.ZipFile(archive, "w") as zf:
            for path in sorted(dest.iterdir()):
                zf.write(path, path.name)
        return archive
    return dest


def write_roster(pupils: list[Pupil], kind: str, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if kind == "canvas":  # Canvas's own gradebook export
            writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Old quiz (123)"])
            writer.writerow(["    Points Possible", "", "", "", "", "10"])
            for p in pupils:
                writer.writerow([f"{p.last}, {p.first}", p.canvas_id, f"S{p.index:05d}", p.login, p.section, "7"])
        elif kind == "moodle":
            writer.writerow(["First name", "Last name", "ID number", "Email address"])
            for p in pupils:
                writer.writerow([p.first, p.last, f"S{p.index:05d}", p.email])
        elif kind == "classroom":  # GitHub Classroom's classroom_roster.csv
            writer.writerow(["identifier", "github_username", "github_id", "name"])
            for p in pupils:
                writer.writerow([p.email, p.github, str(7_000_000 + p.index), f"{p.first} {p.last}"])
        else:
            writer.writerow(["id", "name", "email", "section"])
            for p in pupils:
                writer.writerow([p.login, f"{p.first} {p.last}", p.email, p.section])
    return path
