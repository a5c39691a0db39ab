"""The private result channel between the sandboxed child and the grader.

Observations travel over a pipe of their own, never over the student's stdout, one frame per
line: the run's secret token, a space, then compact JSON. A frame without the token, or not of
a shape the child sends, is counted as a forgery attempt and ignored, so printing fake results
gains nothing. Every string of an accepted frame is cleaned here (`grader.sandbox.untrusted`), the one
place child data enters the grader.
"""
from __future__ import annotations

import _thread
import fcntl
import json
import os
from typing import Any

from grader.sandbox import untrusted

MAX_FRAME = 8 * 1024 * 1024

# The fields each kind of frame must carry, with their types; anything else is not a frame of
# ours (a forgery, or a harness the student broke) and is counted as forged, not trusted.
_SHAPES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "ready": {},
    "import": {"ok": bool},
    "begin": {"key": str},
    "result": {"key": str, "result": dict},  # a ProbeResult (grader.probes.protocol), checked on arrival
    "done": {"audit": int},  # how many findings the audit hook sent (see Private)
    "stuck": {"key": str},  # every thread of the probe waits on what none can release (grader.sandbox.stuck)
    "audit": {"finding": dict},  # written by the audit hook the moment an event happens
}


def well_formed(message: Any) -> bool:
    """True when `message` has the shape of one of the child's frames."""
    if not isinstance(message, dict):
        return False
    kind = message.get("type")
    shape = _SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        return False
    if message.get("type") == "import" and not message.get("ok", True) \
            and not isinstance(message.get("error"), dict):
        return False
    return all(isinstance(message.get(field), kinds) for field, kinds in shape.items())


def encode(token: str, message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), default=repr, ensure_ascii=True)
    return f"{token} {body}\n".encode()


_WRITING = _thread.allocate_lock()  # the audit hook writes from any thread: frames never interleave
# The child's own references, taken before the student's code runs: replacing `os.write` or
# `os.fstat` in the os module changes nothing here.
_write, _fstat, _exit, _fcntl = os.write, os.fstat, os._exit, fcntl.fcntl


def send(fd: int, token: str, message: dict[str, Any]) -> None:
    data = encode(token, message)
    view = memoryview(data)
    with _WRITING:
        while view:
            written = _write(fd, view)
            view = view[written:]


# The child's exit status when the audit hook found its pipe replaced: the grader flags it.
CHANNEL_TAMPERED = 86
PRIVATE_FD = 900  # the hook's copy of the pipe sits at or above this number


class Private:
    """The audit hook's own copy of the result pipe, in the child.

    A finding the student could silence is no finding: `os.dup2(devnull, result_fd)` would
    send the hook's reports nowhere. The hook therefore writes to a copy of the pipe at a
    number of its own (close-on-exec), and checks by device and inode, before and after each
    write, that the copy still is the grader's pipe; if it is not (closed, or something else
    put in its place), the child ends at once with CHANNEL_TAMPERED, before the student's code
    gets back what it asked for. The child's end-of-run frame says how many findings were
    sent, so the grader also notices findings that were sent and never arrived.
    """

    def __init__(self, fd: int, token: str) -> None:
        try:
            self.fd = _fcntl(fd, fcntl.F_DUPFD_CLOEXEC, PRIVATE_FD)
        except OSError:  # fewer descriptors allowed than that (macOS: 256): any free number
            self.fd = _fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
        self.identity = self._identity()
        self.token = token
        self.sent = 0

    def _identity(self) -> tuple[int, int] | None:
        try:
            status = _fstat(self.fd)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def check(self) -> None:
        """End the child when the pipe is no longer the grader's."""
        if self.identity is None or self._identity() != self.identity:
            _exit(CHANNEL_TAMPERED)

    def send(self, message: dict[str, Any]) -> None:
        self.check()
        send(self.fd, self.token, message)
        self.sent += 1
        self.check()


class FrameReader:
    """Splits the raw byte stream into frames and checks each frame's token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._buffer = b""
        self.forged = 0

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        frames: list[dict[str, Any]] = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            token, _, body = line.partition(b" ")
            if token != self._token:
                self.forged += 1
                continue
            try:
                message = json.loads(body)
            except (ValueError, RecursionError):
                self.forged += 1
                continue
            if not well_formed(message):
                self.forged += 1
                continue
            frames.append(untrusted.data(message))
        if len(self._buffer) > MAX_FRAME:
            self._buffer = b""
            self.forged += 1
        return frames
