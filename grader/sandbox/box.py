"""The box: the run's folder with the submission's copy and companions, and how each of its
children starts at the chosen level (the command, what the child sees, its uid slot, its pipes)."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import bootcopy, jail, seccomp, uidslots
from grader.sandbox.cgroups import TaskCgroup
from grader.sandbox.ending import Reaper
from grader.sandbox.levels import is_root, jail_command, unshare_net
from grader.sandbox.limits import Limits
from grader.submission.files import read_regular

MAX_SIBLING_FILES = 20  # helper modules a student may split their work into
MAX_SIBLING_BYTES = 200_000
MAX_MAIN_BYTES = 1_000_000
MAX_COMPANION_FILES = 20  # data files a program reads (urls.txt) next to it
MAX_COMPANION_BYTES = 1_000_000


def _copy_submission(path: Path, target: Path) -> tuple[list[Path], list[Path]]:
    """Copy the submission, its sibling `.py` helpers and its companion data files into
    `target`, regular files only; returns (code files, companions).

    The main file is the one the grader was asked to grade, so a link there is followed; a
    sibling must be a regular file of its own. Code is read-only to the child; companions
    (`urls.txt`, a CSV of pages) stay writable, as programs may save into them."""
    code = []
    main = read_regular(path.resolve(), MAX_MAIN_BYTES)
    if main is not None:
        (target / path.name).write_bytes(main)
        code.append(target / path.name)
    siblings = [p for p in sorted(path.parent.glob("*.py")) if p.name != path.name]
    for sibling in siblings[:MAX_SIBLING_FILES]:
        data = read_regular(sibling, MAX_SIBLING_BYTES)
        if data is not None:
            (target / sibling.name).write_bytes(data)
            code.append(target / sibling.name)
    for copy in code:
        os.chmod(copy, 0o444)
    return code, _copy_companions(path.parent, target)


def _copy_companions(folder: Path, target: Path) -> list[Path]:
    """The submission's non-Python files (`urls.txt`, a CSV of pages) as writable copies in the
    working folder: programs read their input from there and save what they download there.
    Only regular files of the submission's own folder, small and few (a batch stages each
    student in a folder of their own, so no other student's file is ever among them)."""
    companions = [p for p in sorted(folder.iterdir()) if p.suffix.lower() != ".py"
                  and not p.name.startswith(".") and not p.is_symlink() and p.is_file()]
    copies = []
    for companion in companions[:MAX_COMPANION_FILES]:
        data = read_regular(companion, MAX_COMPANION_BYTES)
        if data is not None:
            (target / companion.name).write_bytes(data)
            copies.append(target / companion.name)
    return copies


def child_env(home: str, tmp: str, boot: str, run_id: str) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2", "TMPDIR": tmp, "PYTHONPATH": boot,
            "GRADER_SANDBOX_RUN": run_id}


@dataclass
class Box:
    """How children of one submission start: the command and what the child sees."""

    level: str
    command: list[str]  # up to and including `--`; the child's own command follows
    cwd: str
    workdir: str  # the working folder, as the child sees it
    tmp: str
    boot: str
    slot: uidslots.Slot | None
    uid: int
    seccomp: bytes | None = None

    @property
    def isolation(self) -> str:
        return f"{self.level}, uid {self.uid}"

    def start(self, processes: int) -> Started:
        """Start a child (`python -m grader.sandbox.child` in the box) in a task cgroup capped at
        `processes`, in a process group of its own, with the write end of a fresh result pipe;
        its job is for the caller to send on its stdin."""
        run_id = secrets.token_hex(8)
        read_fd, write_fd = os.pipe()
        fds = [write_fd]
        command = self._command(fds)
        tasks = TaskCgroup(processes)
        try:
            proc = subprocess.Popen(tasks.wrap(command), cwd=self.cwd,
                                    env=child_env(self.workdir, self.tmp, self.boot, run_id),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, pass_fds=tuple(fds),
                                    start_new_session=True)
        except BaseException:
            tasks.remove()
            os.close(read_fd)
            raise
        finally:
            for fd in fds:
                os.close(fd)
        return Started(proc, tasks, read_fd, write_fd, run_id)

    def _command(self, fds: list[int]) -> list[str]:
        """The child's command line at this level; a descriptor it must inherit (the seccomp
        filter's) is added to `fds`. At `process` level the boot copy is checked again first:
        an earlier child could have edited it."""
        command = list(self.command)
        if self.seccomp is not None:
            filter_read, filter_write = os.pipe()
            os.write(filter_write, self.seccomp)
            os.close(filter_write)
            fds.append(filter_read)
            at = command.index("--remount-ro")
            command[at:at] = ["--seccomp", str(filter_read)]
        if self.level == "process":
            self.boot = str(bootcopy.intact())
        return command + child_python() + ["-m", "grader.sandbox.child"]


def child_python() -> list[str]:
    """The child's interpreter and its flags. -S: no `site` at start, whose .pth files run code
    of the machine's at every start (an editable install's finder, a certificate injector: 45 ms
    of a child's 0.15 s start on the development machine); the child adds the site-packages
    folders itself (grader.sandbox.sitepaths). -P (3.11+): no script folder or
    working folder first on sys.path."""
    return [sys.executable, "-S"] + (["-P"] if sys.version_info >= (3, 11) else [])


@dataclass
class Started:
    """A child just started: its process, its cgroup, the grader's end of its result pipe, the
    number the child knows the pipe's other end by (closed in the grader), and the mark every
    process of its run carries in its environment (GRADER_SANDBOX_RUN)."""

    proc: subprocess.Popen[bytes]
    tasks: TaskCgroup
    read_fd: int
    write_fd: int
    run_id: str


def stage(level: str, tmp: Path, submission_path: Path, limits: Limits) -> Box:
    """Copy the submission and decide how its children start, at `level`."""
    root = is_root()
    slot = uidslots.claim() if root and level in ("bubblewrap", "uid") else None
    if root and level in ("bubblewrap", "uid") and slot is None:
        raise RuntimeError("no free sandbox uid (64 gradings at once, or the uid range is taken; "
                           "set GRADER_UID_BASE)")
    uid = slot.uid if slot else os.getuid()
    box = tmp / "box"  # the working folder's parent: probes make private folders beside it
    source = box / "work"
    source.mkdir(parents=True)
    os.chmod(box, 0o755)
    os.chmod(source, 0o755)
    files, companions = _copy_submission(submission_path, source)
    for companion in companions:
        os.chmod(companion, 0o644)
        if slot is not None:
            os.chown(companion, slot.uid, slot.gid)  # writable by the child (RLIMIT_FSIZE caps it)
    disk = limits.disk_mb * 1024 * 1024
    if level == "bubblewrap":
        rules = seccomp.no_user_namespaces()
        command = jail_command(tmp, files, uid, disk, filtered=rules is not None, writable=companions)
        return Box(level, command, "/", jail.WORK, "/tmp", jail.BOOT, slot, uid, rules)
    # Without a private root the working folder is the copy itself: the run's folder is
    # reachable by the child's uid only, the folder sticky (the child adds files but cannot
    # replace the submission's), the boot copy not writable by the child.
    if slot is not None:
        os.chown(tmp, 0, slot.gid)
        os.chmod(tmp, 0o710)
        os.chmod(box, 0o1777)
        os.chmod(source, 0o1777)
        boot = bootcopy.template()
        command = (["unshare", "--net", "--"] if unshare_net() else []) + jail.drop_to(slot.uid, slot.gid)
    else:
        boot = bootcopy.intact()  # the child could edit it: checked again before every child
        command = []
        Reaper.install()
    return Box(level, command, str(source), str(source), str(source), str(boot), slot, uid)
