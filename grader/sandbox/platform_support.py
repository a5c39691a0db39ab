"""What the running system offers the grader, said once and plainly.

The child channel needs `pass_fds`, `select` on pipes and POSIX process groups, which native
Windows lacks; there the grader stops with one line pointing to WSL instead of failing deep in
a sandbox. macOS and any Linux without namespaces or bubblewrap grade in a plain child process
(`grader.sandbox.isolation_level` picks it; the report says so).
"""
from __future__ import annotations

import os
import sys

from grader.errors import GraderError

WSL_HINT = ("native Windows cannot run the grader's sandboxed child (it needs pass_fds, select on "
            "pipes and process groups); install WSL (https://learn.microsoft.com/windows/wsl/install) "
            "and run grader inside it")


def grading_supported(platform: str | None = None, name: str | None = None) -> bool:
    platform = sys.platform if platform is None else platform
    name = os.name if name is None else name
    return name == "posix" and not platform.startswith(("win", "cygwin", "msys"))


def require_grading_support(platform: str | None = None, name: str | None = None) -> None:
    if not grading_supported(platform, name):
        raise GraderError(WSL_HINT)
