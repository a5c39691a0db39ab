"""Find who submitted what in a folder (or zip) of a whole class, whatever its layout.

Layouts, detected from the names in the folder (or forced with `layout=`):

* `folders`: a folder per student, named as the instructor likes (`alice/bank.py`);
* `canvas`: Canvas's flat download, `<name>_[late_]<user id>_<submission id>_<file>`;
* `moodle`: Moodle's `<Full Name>_<id>_assignsubmission_file_` folders, or files with that prefix;
* `classroom`: GitHub Classroom repositories `<assignment>-<user>/` cloned side by side;
* `single`: the folder is one submission (the task files are right there).

Zip archives (the whole class, or one student's upload) are extracted into the batch's work
folder with `archive.extract`, never next to the instructor's files. A task's file is found by
the rubric's file name (case ignored, Canvas's `-N` re-upload suffix allowed, newest wins), in
the student's folder or below it; the `.py` files next to it are the student's helper modules.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from grader.batch import naming
from grader.batch.archive import SKIPPED_NAMES, ArchiveError, extract
from grader.batch.records import Found
from grader.errors import GraderError
from grader.rubric import TaskSpec
from grader.submission import MAX_SOURCE_BYTES

LAYOUTS = ("auto", "folders", "canvas", "moodle", "classroom", "single")
MAX_HELPERS = 20  # as many as the sandbox copies next to a submission
MAX_HELPER_BYTES = 200_000
MAX_COMPANION_BYTES = 1_000_000  # a data file next to the program (as the sandbox copies)
# A repository's own documents are not data the program reads; leaving them out keeps a grade
# (and its cache key) the same whether a student's files came as a Classroom repo or an upload.
REPOSITORY_DOCUMENTS = ("readme", "license", "licence", "copying", "changelog")
MAX_DEPTH = 4
MAX_SCANNED = 2000


class Discovery:
    """Walks one class folder; `extract_root` receives the contents of any zip met on the way."""

    def __init__(self, tasks: list[TaskSpec], extract_root: Path,
                 known_users: frozenset[str] = frozenset(), exclude: frozenset[Path] = frozenset(),
                 infer_tasks: bool = False) -> None:
        self.tasks = tasks  # narrowed by `settle` to the tasks present when `infer_tasks`
        self.infer_tasks = infer_tasks
        self.extract_root = extract_root
        self.known_users = known_users
        self.exclude = exclude  # resolved folders that are never a student's (the output folder)
        self.warnings: list[str] = []

    # -- entry points -------------------------------------------------------------------------

    def run(self, source: Path, layout: str = "auto") -> tuple[str, Path, list[Found]]:
        """(layout, the folder actually read, one Found per student, sorted by key)."""
        if layout not in LAYOUTS:
            raise GraderError(f"--layout {layout}: unknown layout; use one of {', '.join(LAYOUTS)}")
        if source.is_file() and source.suffix.lower() == ".zip":
            source = self._unzip(source)
        if not source.is_dir():
            raise GraderError(f"{source}: no such folder or zip archive; give the folder of submissions")
        source = self._unwrap(source)
        entries = self._entries(source)
        if layout == "auto":
            layout = self._detect(source, entries)
        found = getattr(self, f"_{layout}")(source, entries)
        self.settle(found)
        return layout, source, sorted(found, key=lambda f: f.key)

    # -- detection ----------------------------------------------------------------------------

    def _visible(self, path: Path) -> bool:
        return not path.name.startswith(".") and path.name not in SKIPPED_NAMES

    def _entries(self, folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if self._visible(p) and not p.is_symlink()
                      and p.resolve() not in self.exclude)

    def _unwrap(self, folder: Path) -> Path:
        """A zip often holds one folder holding the class: read that folder instead. It holds a
        class, not one student's work, if it has no task file of its own and at least two
        entries a student could be (folders, zips, files named by an LMS)."""
        for _ in range(3):
            entries = self._entries(folder)
            if len(entries) != 1 or not entries[0].is_dir() or self._task_files_in(entries[0]):
                break
            inner = self._entries(entries[0])
            students = [p for p in inner if p.is_dir() or p.suffix.lower() == ".zip"
                        or naming.parse_canvas(p.name) or naming.parse_moodle(p.name)]
            if len(students) < 2:
                break
            folder = entries[0]
        return folder

    def _task_files_in(self, folder: Path) -> bool:
        return any(self._visible(p) and p.is_file() and
                   any(naming.matches_task_file(p.name, t.file) is not None for t in self.tasks)
                   for p in folder.iterdir())

    def _detect(self, source: Path, entries: list[Path]) -> str:
        if not entries:
            raise GraderError(f"{source}: the folder is empty; give the folder of submissions")
        names = [self._stem(p) for p in entries]
        moodle = sum(naming.parse_moodle(n) is not None for n in names)
        canvas = sum(naming.parse_canvas(n) is not None for n in names)
        folders = [p for p in entries if p.is_dir()]
        zips = [p for p in entries if p.is_file() and p.suffix.lower() == ".zip"]
        if max(moodle, canvas) * 2 >= len(entries) and max(moodle, canvas) > 0:
            return "moodle" if moodle >= canvas else "canvas"
        if self._task_files_in(source):
            return "single"
        if (folders or zips) and (len(folders) + len(zips)) * 2 >= len(entries):
            users = naming.classroom_users([p.name for p in folders], self.known_users)
            if folders and not zips and users and (any((p / ".git").exists() for p in folders) or
                          any(u.lower() in self.known_users for _, u in users.values())):
                return "classroom"
            return "folders"
        raise GraderError(f"{source}: cannot tell how the submissions are laid out (expected a "
                          "folder per student, Canvas or Moodle downloads, or GitHub Classroom "
                          "repositories); pass --layout")

    @staticmethod
    def _stem(path: Path) -> str:
        return path.name[:-4] if path.is_file() and path.suffix.lower() == ".zip" else path.name

    # -- zips ---------------------------------------------------------------------------------

    def _unzip(self, archive: Path) -> Path:
        tag = hashlib.sha256(str(archive.resolve()).encode()).hexdigest()[:10]
        dest = self.extract_root / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', archive.stem)[:60]}-{tag}"
        if dest.exists():  # extracted earlier in this run under the same name: extract afresh
            shutil.rmtree(dest)
        result = extract(archive, dest)
        for skipped in result.skipped:
            self.warnings.append(f"{archive.name}: skipped {skipped}")
        return dest

    def _as_folder(self, entry: Path, found: Found) -> Path | None:
        """A student's entry as a folder to search: itself, or its extracted zip."""
        if entry.is_dir():
            return entry
        if entry.suffix.lower() == ".zip":
            try:
                return self._unzip(entry)
            except ArchiveError as exc:
                found.notes.append(str(exc))
                self.warnings.append(str(exc))
        return None

    # -- finding a task's file in a student's folder --------------------------------------------

    def find(self, folder: Path, task: TaskSpec, found: Found, depth: int = 0) -> None:
        """Record in `found` the task's file under `folder` (the shallowest, newest) and its helpers."""
        candidates: list[tuple[int, int, str, Path]] = []
        zips: list[Path] = []
        scanned = 0
        stack = [(folder, 0)]
        while stack:
            current, level = stack.pop()
            try:
                children = sorted(current.iterdir())
            except OSError:
                continue
            for child in children:
                scanned += 1
                if scanned > MAX_SCANNED or not self._visible(child) or child.is_symlink():
                    continue
                if child.is_dir():
                    if level + 1 <= MAX_DEPTH:
                        stack.append((child, level + 1))
                elif child.suffix.lower() == ".zip":
                    zips.append(child)
                else:
                    found.held.setdefault(child, child.relative_to(folder).as_posix())
                    number = naming.matches_task_file(child.name, task.file)
                    if number is not None:
                        candidates.append((level, -number, str(child), child))
        if not candidates and zips and depth == 0:
            for archive in zips[:3]:
                extracted = self._as_folder(archive, found)
                if extracted is not None:
                    self.find(extracted, task, found, depth + 1)
                    if task.name in found.files:
                        return
            return
        if not candidates:
            return
        main = min(candidates)[3]
        found.files[task.name] = main
        found.helpers[task.name] = self._helpers(main, task, [(p.name, p) for p in main.parent.iterdir()])

    # -- misnamed uploads: a second pass once every exact name is known ----------------------

    def settle(self, found_all: list[Found]) -> None:
        """Match what exact names did not: a student's one Python file named like a task
        (`bank_final.py`, `bank (1).py`, `bank-v2.py`) or defining its entry points is graded for
        it, saying so; with `infer_tasks`, the tasks are narrowed to those somebody submitted (a
        one-assignment download is not "missing" the other task), and in a one-task class a
        student's only Python file is their submission. What still has no file but holds files
        gets a "could not match" reason naming them, never "no submission"."""
        for found in found_all:
            self._guess(found, self.tasks)
        if self.infer_tasks:
            present = [t for t in self.tasks if any(t.name in f.files or t.name in f.unmatched
                                                     for f in found_all)]
            if present and len(present) < len(self.tasks):
                kept = ", ".join(t.name for t in present)
                dropped = ", ".join(t.file for t in self.tasks if t not in present)
                self.warnings.append(f"grading {kept} only: no submission holds {dropped} "
                                     "(pass --task to grade a task anyway)")
                self.tasks = present
                for found in found_all:
                    for name in [n for n in found.unmatched if n not in {t.name for t in present}]:
                        del found.unmatched[name]
        for found in found_all:
            for task in self.tasks:
                if task.name in found.files:
                    found.unmatched.pop(task.name, None)
                    continue
                if len(self.tasks) == 1 and task.name not in found.unmatched:
                    lone = self._unclaimed_python(found)
                    if len(lone) == 1:
                        self._take(found, task, lone[0][1], f"no {task.file}; graded {lone[0][0]}, "
                                                            "the only Python file submitted")
                        continue
                if task.name not in found.unmatched:
                    reason = self._unmatched_reason(found, task)
                    if reason:
                        found.unmatched[task.name] = reason

    def _unclaimed_python(self, found: Found) -> list[tuple[str, Path]]:
        """The student's .py files no task has taken, the newest upload of each name only."""
        claimed = set(found.files.values())
        named = [(name, path) for path, name in found.held.items()
                 if name.lower().endswith(".py") and path not in claimed]
        return _newest_by_name(named)

    def _guess(self, found: Found, tasks: list[TaskSpec]) -> None:
        for task in tasks:
            if task.name in found.files:
                continue
            others = [t for t in self.tasks if t is not task]
            pool = self._unclaimed_python(found)
            by_name = [(n, p) for n, p in pool if naming.names_task(n, task.file)
                       and not any(naming.names_task(n, o.file) for o in others)]
            if len(by_name) == 1:
                self._take(found, task, by_name[0][1], f"no {task.file}; graded {by_name[0][0]}, "
                                                       "the one Python file named like it")
            elif len(by_name) > 1:
                found.unmatched[task.name] = (f"could not match {task.file}: several files could be it "
                                              f"({_listed([n for n, _ in by_name])}); rename one")
            else:
                by_code = [(n, p) for n, p in pool if _defines(p, task)
                           and not any(_defines(p, o) for o in others)]
                if len(by_code) == 1:
                    name, path = by_code[0]
                    self._take(found, task, path, f"no {task.file}; graded {name}, the one Python "
                                                  f"file defining {_defines(path, task)}")

    def _take(self, found: Found, task: TaskSpec, main: Path, why: str) -> None:
        found.files[task.name] = main
        found.guessed[task.name] = why
        uploads = {path for _, path in found.uploads}
        named = found.uploads if main in uploads else [(p.name, p) for p in main.parent.iterdir()]
        claimed = set(found.files.values())
        found.helpers[task.name] = [(n, p) for n, p in self._helpers(main, task, named) if p not in claimed]

    def _unmatched_reason(self, found: Found, task: TaskSpec) -> str:
        """Why files were submitted yet none is graded for `task` ("" when the task is plainly
        missing: the student submitted other tasks' files and nothing named like this one)."""
        named_like = sorted(n for n in found.held.values() if naming.names_task(n, task.file)
                            and not n.lower().endswith(".py"))
        if named_like:
            return (f"could not match {task.file}: {_listed(named_like)} "
                    f"{'is not a Python file' if len(named_like) == 1 else 'are not Python files'}; "
                    f"the submission holds {_listed(sorted(found.held.values()))}")
        if found.held and not found.files:
            return f"could not match {task.file}: the submission holds {_listed(sorted(found.held.values()))}"
        return ""

    def _helpers(self, main: Path, task: TaskSpec, named: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
        """The student's other files next to the main file: modules (`utils.py`) and companion
        data files the program reads (`urls.txt`); not another task's file, not an older upload
        of this one, not an archive or a hidden file, small, at most MAX_HELPERS of them."""
        helpers = []
        for name, path in sorted(named):
            if path == main or not path.is_file() or path.is_symlink() or name.startswith("."):
                continue
            if name.lower().endswith(".zip") or name.lower().startswith(REPOSITORY_DOCUMENTS):
                continue
            if any(naming.matches_task_file(name, t.file) is not None for t in self.tasks):
                continue
            limit = MAX_HELPER_BYTES if name.endswith(".py") else MAX_COMPANION_BYTES
            if path.stat().st_size > limit:
                continue
            helpers.append((name, path))
        return helpers[:MAX_HELPERS]

    # -- layouts ------------------------------------------------------------------------------

    def _single(self, source: Path, entries: list[Path]) -> list[Found]:
        name, _ = naming.display_name(source.name)
        found = Found(source.name, name, "single")
        for task in self.tasks:
            self.find(source, task, found)
        return [found]

    def _folders(self, source: Path, entries: list[Path]) -> list[Found]:
        result = []
        for entry in entries:
            if not (entry.is_dir() or entry.suffix.lower() == ".zip"):
                self.warnings.append(f"{entry.name}: ignored (not a student's folder)")
                continue
            key = self._stem(entry)
            found = Found(key, naming.display_name(key)[0], "folders")
            folder = self._as_folder(entry, found)
            for task in self.tasks:
                if folder is not None:
                    self.find(folder, task, found)
            result.append(found)
        return result

    def _classroom(self, source: Path, entries: list[Path]) -> list[Found]:
        folders = [p for p in entries if p.is_dir()]
        users = naming.classroom_users([p.name for p in folders], self.known_users) or {}
        by_user: dict[str, Found] = {}
        for entry in entries:
            if entry.name not in users:
                self.warnings.append(f"{entry.name}: ignored (not an <assignment>-<user> repository)")
                continue
            user = users[entry.name][1]
            found = by_user.setdefault(user.lower(), Found(user, user, "classroom", root=entry))
            for task in self.tasks:
                if task.name not in found.files:
                    self.find(entry, task, found)
        return list(by_user.values())

    def _canvas(self, source: Path, entries: list[Path]) -> list[Found]:
        return self._lms(source, entries, "canvas")

    def _moodle(self, source: Path, entries: list[Path]) -> list[Found]:
        return self._lms(source, entries, "moodle")

    def _lms(self, source: Path, entries: list[Path], layout: str) -> list[Found]:
        """Canvas and Moodle: entries named by the LMS, grouped by the id in the name."""
        by_id: dict[str, Found] = {}
        files: dict[str, list[tuple[int, str, bool, Path]]] = {}  # id -> (submission, name, late, path)
        ignored = []
        for entry in entries:
            stem = self._stem(entry)
            if layout == "canvas":
                parsed_c = naming.parse_canvas(stem)
                if parsed_c is None:
                    ignored.append(entry.name)
                    continue
                lms_id, raw_name, late = parsed_c.user_id, parsed_c.name, parsed_c.late
                submission, filename = int(parsed_c.submission_id), parsed_c.filename
            else:
                parsed_m = naming.parse_moodle(stem)
                if parsed_m is None:
                    ignored.append(entry.name)
                    continue
                lms_id, raw_name, late = parsed_m.participant_id, parsed_m.name, False
                submission, filename = 0, parsed_m.rest
            if lms_id not in by_id:
                name, _ = naming.display_name(raw_name) if layout == "canvas" else (raw_name, raw_name)
                by_id[lms_id] = Found(lms_id, name, layout, lms_id=lms_id)
            found = by_id[lms_id]
            found.late = found.late or late
            if entry.is_dir() or entry.suffix.lower() == ".zip":
                folder = self._as_folder(entry, found)
                for task in self.tasks:
                    if folder is not None and task.name not in found.files:
                        self.find(folder, task, found)
            else:
                files.setdefault(lms_id, []).append((submission, filename, late, entry))
        for lms_id, uploads in files.items():
            found = by_id[lms_id]
            named = [(name, path) for _, name, _, path in uploads]
            found.uploads = _newest_by_name(named)
            for name, path in named:
                found.held.setdefault(path, name)
            for task in self.tasks:
                if task.name in found.files:
                    continue
                picks = [(sub, number, path) for sub, name, _, path in uploads
                         if (number := naming.matches_task_file(name, task.file)) is not None]
                if not picks:
                    continue
                newest = max(picks)
                found.files[task.name] = newest[2]
                same = [(n, p) for s, n, _, p in uploads if s == newest[0]]
                found.helpers[task.name] = self._helpers(newest[2], task, _newest_by_name(same or named))
        if ignored:
            shown = ", ".join(ignored[:5]) + (", ..." if len(ignored) > 5 else "")
            self.warnings.append(f"ignored {len(ignored)} entr{'y' if len(ignored) == 1 else 'ies'} "
                                 f"not named like a {layout.capitalize()} download: {shown}")
        return list(by_id.values())


def _listed(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _defines(path: Path, task: TaskSpec) -> str:
    """The first of the task's entry points a Python file defines (`class BankAccount`, `def
    download_pages`), or "": a misnamed file that says what it is."""
    names = sorted(set(task.entry_points.values()))
    if not names:
        return ""
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_SOURCE_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
    pattern = r"^\s*(?:async\s+)?(?:def|class)\s+(" + "|".join(re.escape(n) for n in names) + r")\b"
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1) if match else ""


def _newest_by_name(named: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """An LMS's uploads under the names the student gave them (`utils-1.py` -> `utils.py`),
    keeping the newest upload of each name, so that the student's imports find them."""
    newest: dict[str, tuple[int, Path]] = {}
    for name, path in named:
        base, number = naming.resubmission(name)
        if base not in newest or number > newest[base][0]:
            newest[base] = number, path
    return sorted((base, path) for base, (_, path) in newest.items())
