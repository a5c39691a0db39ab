"""The private result channel between the sandboxed child and the grader.

Observations travel over a pipe of their own, never over the student's stdout, one frame per
line: the run's secret token, a space, then compact JSON. A frame without the token is counted
as a forgery attempt and ignored, so printing fake results gains nothing.
"""
from __future__ import annotations

import json
import os
from typing import Any

MAX_FRAME = 8 * 1024 * 1024


def encode(token: str, message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), default=repr, ensure_ascii=True)
    return f"{token} {body}\n".encode()


def send(fd: int, token: str, message: dict[str, Any]) -> None:
    data = encode(token, message)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


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
            except ValueError:
                self.forged += 1
                continue
            if isinstance(message, dict):
                frames.append(message)
        if len(self._buffer) > MAX_FRAME:
            self._buffer = b""
            self.forged += 1
        return frames
