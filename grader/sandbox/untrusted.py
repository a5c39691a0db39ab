"""Child-controlled data made safe once, where it enters the grader.

Everything the sandboxed child sends (result frames) or prints (captured stdout/stderr) is the
student's to choose. Reports, gradebooks and terminals downstream assume ordinary text, so
each string is cleaned here and nowhere else: lone surrogates (which no UTF-8 writer accepts)
become U+FFFD, control characters and bidirectional overrides (which can redraw a terminal or
reorder a line) become visible escapes, and every string is capped. Newlines and tabs stay:
interleavings and tracebacks are multi-line by nature.
"""
from __future__ import annotations

import re
from typing import Any

MAX_STRING = 20_000  # far above any message the grader writes; stops a file being carried out
MAX_NAME = 100  # exception and type names: identifiers, never essays
MAX_DEPTH = 64
# fields that hold a name, never prose (opaque_type: grader.probes.probing.OPAQUE)
NAMES = frozenset({"type", "opaque_type", "thread", "where"})
MAX_ITEMS = 50_000

# C0 controls except \t and \n, DEL, C1 controls (\x9b is a one-byte CSI), bidi controls.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text(value: str, limit: int = MAX_STRING) -> str:
    """One child-controlled string as safe, printable, UTF-8-encodable text of bounded size."""
    if not (value.isascii() and (value.isprintable() or _UNSAFE.search(value) is None)):
        # (the usual string is printable ASCII: one C-speed test instead of two substitutions)
        value = _SURROGATE.sub("\ufffd", value)
        value = _UNSAFE.sub(_escape, value)
    if len(value) > limit:
        value = value[:limit] + f"[... {len(value) - limit} more characters]"
    return value


def name(value: Any) -> str:
    """A type or exception name from the child: one short line."""
    return text(str(value), MAX_NAME).replace("\n", "\\n").replace("\t", " ")


def data(value: Any, depth: int = 0) -> Any:
    """A decoded JSON value with every string (keys included) cleaned and sizes bounded."""
    if isinstance(value, str):
        return text(value)
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 256 else "<a number too large to show>"
    if depth >= MAX_DEPTH:
        return "<nested too deeply>"
    if isinstance(value, dict):
        return {_key(k): name(v) if k in NAMES and isinstance(v, str)
                else data(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list):
        return [data(v, depth + 1) for v in value[:MAX_ITEMS]]
    return text(repr(value))


_KEYS: dict[str, str] = {}  # cleaned keys: a few names repeated thousands of times in one result


def _key(key: Any) -> str:
    """A dict key from the child, cleaned (remembered while the keys stay few and short)."""
    if type(key) is str and key in _KEYS:
        return _KEYS[key]
    cleaned = text(str(key), MAX_NAME * 10)
    if type(key) is str and len(key) <= 40 and len(_KEYS) < 1000:
        _KEYS[key] = cleaned
    return cleaned
