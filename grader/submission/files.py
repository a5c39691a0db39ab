"""Reading a submission's files in the grader without being led astray by them.

The grader may run as root and reads files a student chose: a helper that is a symlink to
/etc/shadow or to a classmate's file, a FIFO named `helper.py` that blocks any reader forever,
a device. Everything the grader reads from a submission's folder goes through `read_regular`.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path


def read_regular(path: Path, limit: int) -> bytes | None:
    """The file's bytes if it is a regular file of at most `limit` bytes, else None; never
    follows a symlink in the last component nor blocks on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(limit + 1)[:limit]
    finally:
        os.close(fd)
