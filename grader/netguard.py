"""An in-process guard that refuses every network connection from the sandboxed child.

It is the last layer of network isolation (after a network namespace, where one is available)
and the one that reports: each attempt is recorded so a check can tell the student which host
their code tried to reach, and the attempt fails locally instead of leaving the machine.
"""
from __future__ import annotations

import socket
from typing import Any

ATTEMPTS: list[str] = []


class NetworkBlocked(ConnectionRefusedError):
    """Raised where student code tries to reach the network during grading."""


def _refuse(what: str) -> None:
    ATTEMPTS.append(what)
    raise NetworkBlocked(f"network access is blocked while grading ({what})")


def _address(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def install() -> None:
    original_socket = socket.socket

    class GuardedSocket(original_socket):  # type: ignore[misc, valid-type]
        def connect(self, address: Any) -> None:
            if self.family == getattr(socket, "AF_UNIX", None):
                return super().connect(address)
            _refuse(f"connect to {_address(address)}")

        def connect_ex(self, address: Any) -> int:
            if self.family == getattr(socket, "AF_UNIX", None):
                return super().connect_ex(address)
            _refuse(f"connect to {_address(address)}")
            return 1

        def sendto(self, *args: Any) -> int:
            _refuse(f"send to {_address(args[-1])}")
            return 0

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        _refuse(f"look up {host}:{port}")
        return []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse(f"connect to {_address(address)}")

    socket.socket = GuardedSocket  # type: ignore[misc]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.create_connection = create_connection  # type: ignore[assignment]
    socket.gethostbyname = lambda host: _refuse(f"look up {host}")  # type: ignore[assignment]
