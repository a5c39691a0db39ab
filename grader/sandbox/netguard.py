"""An in-process guard that refuses every network connection from the sandboxed child.

It is the last layer of network isolation (after a network namespace, where one is available)
and the one that reports: each attempt is recorded so a check can tell the student which host
their code tried to reach, and the attempt fails locally instead of leaving the machine.
"""
from __future__ import annotations

import socket
from typing import Any, Callable

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
    socket.gethostbyname = lambda host: _refuse(f"look up {host}")  # type: ignore[assignment,return-value]


AUDITED = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
                     "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"})
AuditGuard = Callable[[str, tuple[Any, ...]], None]


def audit_guard() -> AuditGuard:
    """The same refusal below the `socket` module: code that reaches `_socket` directly (or a C
    extension that uses it) raises these audit events in CPython's own socket code, where a
    Python-level patch cannot be bypassed. The child's one audit hook (grader.sandbox.audit_hook)
    calls the function returned here for the events in AUDITED, from before any of the
    student's code runs: one hook, not two, as every audited event (each frame read of the
    race oracle's) pays a Python call per hook. What it needs is bound in its closure, so that
    rebinding this module's names does not switch it off; audit hooks cannot be removed.

    Subprocesses are not covered here: at the bubblewrap and uid levels the child runs in a
    network namespace of its own, which holds for every process it starts."""
    record = ATTEMPTS.append
    blocked = NetworkBlocked
    unix = getattr(socket, "AF_UNIX", None)

    address_of = _address

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock = args[0]
            if getattr(sock, "family", None) == unix:
                return
            target = args[1] if len(args) > 1 else None
            if event == "socket.sendmsg" and target is None:
                return  # a send on an already refused (so never connected) socket
            what = f"{'connect to' if event == 'socket.connect' else 'send to'} {address_of(target)}"
        elif event == "socket.getaddrinfo":
            what = f"look up {args[0]}:{args[1]}"
        else:
            what = f"look up {address_of(args[0])}"
        record(what)
        raise blocked(f"network access is blocked while grading ({what})")

    return guard
