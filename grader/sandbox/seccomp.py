"""A seccomp filter that refuses new user namespaces inside the sandbox.

An unprivileged uid may still create a user namespace and become "root" in it: no new access
to files, but the kernel's most attacked surface. bubblewrap loads this filter (`--seccomp FD`)
just before it starts the child, so neither the child nor anything it starts can create one:
`unshare` and `clone` with CLONE_NEWUSER fail with EPERM, `clone3` (whose flags a filter cannot
read) fails with ENOSYS so the C library falls back to `clone`, and system calls of a foreign
ABI (i386 or x32 on x86_64) fail with ENOSYS. Written as classic BPF by hand: no libseccomp
needed.
"""
from __future__ import annotations

import errno
import platform
import struct

_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_CLONE_NEWUSER = 0x10000000
_X32_BIT = 0x40000000
_CLONE3 = 435

# machine -> (AUDIT_ARCH_*, __NR_unshare, __NR_clone)
_ARCHES = {
    "x86_64": (0xC000003E, 272, 56),
    "aarch64": (0xC00000B7, 97, 220),
}


def _stmt(code: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, 0, 0, k)


def _jump(code: int, k: int, true: int, false: int) -> bytes:
    return struct.pack("<HBBI", code, true, false, k)


def no_user_namespaces() -> bytes | None:
    """The filter program for this machine, or None where its system call numbers are unknown."""
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return None
    audit_arch, unshare, clone = arch
    program = [
        _stmt(_LD_W_ABS, 4),                      # seccomp_data.arch
        _jump(_JEQ, audit_arch, 1, 0),
        _stmt(_RET, _ERRNO | errno.ENOSYS),       # a foreign ABI
        _stmt(_LD_W_ABS, 0),                      # seccomp_data.nr
        _jump(_JGE, _X32_BIT, 0, 1),
        _stmt(_RET, _ERRNO | errno.ENOSYS),       # x32 system calls
        _jump(_JEQ, _CLONE3, 0, 1),
        _stmt(_RET, _ERRNO | errno.ENOSYS),
        _jump(_JEQ, unshare, 1, 0),
        _jump(_JEQ, clone, 0, 3),
        _stmt(_LD_W_ABS, 16),                     # low word of args[0]: the flags
        _jump(_JSET, _CLONE_NEWUSER, 0, 1),
        _stmt(_RET, _ERRNO | errno.EPERM),
        _stmt(_RET, _ALLOW),
    ]
    return b"".join(program)
