"""The child's root file system under bubblewrap: an allow-list, not the host minus a few folders.

What the child sees, and nothing else:
  /usr, /bin, /lib*, /sbin          the system, read-only (what Python and its libraries load)
  /etc                              a handful of harmless files (loader cache, time zone) and a
                                    passwd/group of the grader's making: no shadow, no hosts
  the Python runtime                its prefix(es), read-only, at their own paths; folders on the
                                    way (e.g. a 0700 /root holding pyenv) are made traversable,
                                    with nothing else in them
  /grader-boot                      the grader's child-side modules (grader.sandbox.bootcopy), read-only
  /tmp                              private, size-capped; /tmp/work is the working folder, with
                                    the submission's files mounted read-only in it
  /dev/shm                          private, size-capped
  /dev, /proc                       minimal devices; the child's own PID namespace

Never $HOME, the class folder, other students' staged files, outputs, the cache, the grader's
tree. `/` is remounted read-only at the end, so only the two capped folders take writes.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

BOOT = "/grader-boot"
WORK = "/tmp/work"
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf")


def runtime_folders() -> list[Path]:
    """Where this Python and its installed packages live (outside /usr, which is bound anyway)."""
    folders = set()
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        folders.add(Path(prefix).resolve())
    folders.add(Path(os.path.realpath(sys.executable)).parent.parent)
    usr = Path("/usr")
    kept = sorted(f for f in folders if f != Path("/") and not f.is_relative_to(usr))
    # a folder inside another is bound with it
    return [f for f in kept if not any(o != f and f.is_relative_to(o) for o in kept)]


def _parents(path: Path, made: set[Path]) -> list[str]:
    """Create the folders leading to `path`, traversable by everyone (0755), once each."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if parent == Path("/") or parent in made:
            continue
        made.add(parent)
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def passwd_files(folder: Path, uid: int, gid: int) -> tuple[Path, Path]:
    """A passwd and group naming root and the child's uid, for tools that look themselves up."""
    passwd, group = folder / "passwd", folder / "group"
    passwd.write_text(f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                      f"student:x:{uid}:{gid}:sandboxed submission:{WORK}:/usr/sbin/nologin\n")
    group.write_text(f"root:x:0:\nstudent:x:{gid}:\n")
    os.chmod(passwd, 0o644)
    os.chmod(group, 0o644)
    return passwd, group


def bwrap_args(*, as_root: bool, boot: Path, files: list[Path], etc: tuple[Path, Path],
               disk_bytes: int, filtered: bool, writable: Sequence[Path] = ()) -> list[str]:
    """bubblewrap's arguments, up to and including `--`, for the allow-list root.

    As root, no user namespace: bubblewrap builds the root with real privilege and the command
    after `--` must drop it (setpriv to a dedicated uid). As a normal user, bubblewrap's user
    namespace maps the user to itself and drops every capability on exec. `filtered`: the
    caller adds `--seccomp FD` (grader.sandbox.seccomp) before `--remount-ro`.
    """
    args = ["bwrap"]
    if as_root:
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                 "--unshare-cgroup-try"]
    else:
        args += ["--unshare-all", "--unshare-user"]
        if not filtered:  # no seccomp filter for this machine: bubblewrap's own switch (0.8+)
            args += ["--disable-userns"]
    args += ["--die-with-parent", "--new-session", "--hostname", "sandbox", "--tmpfs", "/",
             "--ro-bind", "/usr", "/usr"]
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    made: set[Path] = set()
    args += ["--perms", "0755", "--dir", "/etc"]
    made.add(Path("/etc"))
    for name in ETC_FILES:
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    args += ["--ro-bind", str(etc[0]), "/etc/passwd", "--ro-bind", str(etc[1]), "/etc/group"]
    args += ["--dev", "/dev", "--proc", "/proc",
             "--perms", "1777", "--size", str(disk_bytes), "--tmpfs", "/dev/shm",
             "--perms", "1777", "--size", str(disk_bytes), "--tmpfs", "/tmp",
             "--perms", "1777", "--dir", WORK]
    made.update({Path("/dev"), Path("/dev/shm"), Path("/tmp")})
    # After the private /tmp, so that an interpreter or venv living under /tmp stays visible.
    for folder in runtime_folders():
        args += _parents(folder, made) + ["--ro-bind", str(folder), str(folder)]
    args += ["--ro-bind", str(boot), BOOT]
    for path in files:
        args += ["--ro-bind", str(path), f"{WORK}/{path.name}"]
    for path in writable:  # companion data files: one file each, RLIMIT_FSIZE caps its growth
        args += ["--bind", str(path), f"{WORK}/{path.name}"]
    args += ["--remount-ro", "/", "--chdir", WORK, "--"]
    return args


def drop_to(uid: int, gid: int) -> list[str]:
    """setpriv to a real unprivileged uid: no groups, no capabilities (bounding set included),
    no_new_privs, killed if its parent dies."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--pdeathsig=SIGKILL", "--"]
