"""Every string cleaned where it is written: one function per kind of output.

Student-controlled text reaches the outputs by many roads: a finding's file name, what the
program printed, an exception's message and type name, a student's folder name, an uploaded
file's name. `grader.sandbox.untrusted` cleans what the child sends where it enters the grader; this
module is the second, last line, applied by each writer to what it writes, so a new source of
text cannot reach a reader uncleaned:

* `text` (terminal, logs, plain-text fields in JSON): lone surrogates become U+FFFD; terminal
  escape sequences, other control characters, bidirectional overrides and isolates, and line or
  paragraph separators become visible escapes (`\\x1b`, `\\u202e`); newlines and tabs stay.
* `line`: `text` on one line (a name, a title, a table cell): newlines and tabs shown as `\\n`.
* `html`: `text`, then every character HTML gives a meaning to escaped (attributes too).
* `xml`: `text`, plus the characters XML 1.0 forbids; markup itself is ElementTree's to escape,
  and `tree` applies `xml` to every text, tail and attribute of a document before it is written.
* `markdown`: `line`, then every character CommonMark or an HTML comment box interprets escaped
  (`<` `>` `&` as entities, so the file holds no tag even as raw text); `code_block` fences
  `text` so that nothing inside can close the fence.
* `csv_cell`: `text` (a cell may hold lines), then a leading `=`, `+`, `-`, `@`,
  tab or CR, or their full-width forms, which a spreadsheet would run as a formula, is quoted
  with `'`. Numbers (a score of -1) stay numbers.
* `data`: `text` applied to every string (keys included) of a JSON value.

Each is idempotent on what it produces and changes nothing in ordinary text.
"""
from __future__ import annotations

import csv
import html as _html
import re
import xml.etree.ElementTree as ET
from typing import Any, Iterable

# C0 controls but \t and \n (so CR and ESC), DEL, C1 controls (\x9b is a one-byte CSI), the
# Arabic letter mark, LRM/RLM, bidi embeddings, overrides and isolates, line and paragraph
# separators (a newline to some viewers) and the BOM/zero-width no-break space.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_XML_FORBIDDEN = re.compile("[\ufffe\uffff]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|~!])")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text(value: object) -> str:
    """Plain text safe to print on a terminal or store: nothing in it acts, everything shows."""
    return _UNSAFE.sub(_escape, _SURROGATE.sub("\ufffd", str(value)))


def line(value: object) -> str:
    """`text` on one line: a name or a cell that must not start a line of its own."""
    return text(value).replace("\n", "\\n").replace("\t", " ")


def html(value: object) -> str:
    """Text for an HTML element or a quoted attribute."""
    return _html.escape(text(value), quote=True)


def xml(value: object) -> str:
    """Text for an XML element or attribute (ElementTree escapes the markup)."""
    return _XML_FORBIDDEN.sub("\ufffd", text(value))


def tree(root: ET.Element) -> ET.Element:
    """Every text, tail, attribute name and value of the document cleaned with `xml`, in place."""
    for element in root.iter():
        if element.text:
            element.text = xml(element.text)
        if element.tail:
            element.tail = xml(element.tail)
        for key, value in list(element.attrib.items()):
            del element.attrib[key]
            element.attrib[xml(key)] = xml(value)
    return root


def markdown(value: object) -> str:
    """Inline Markdown that renders as the text itself, on one line, wherever it is pasted."""
    escaped = line(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", escaped)


def code_block(value: object) -> list[str]:
    """A fenced Markdown code block of `text` lines that no backtick run inside can close."""
    body = text(value)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *body.splitlines(), fence]


def csv_cell(value: object) -> str:
    """A spreadsheet cell that is data: never a formula, a hyperlink or a control sequence."""
    cell = text(value)
    if _NUMBER.fullmatch(cell):
        return cell
    return "'" + cell if cell.lstrip(" ")[:1] in _FORMULA else cell


class CsvWriter:
    """`csv.writer` whose every cell goes through `csv_cell`: a writer cannot forget one."""

    def __init__(self, stream: Any, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(cell) for cell in row])


def data(value: Any) -> Any:
    """A JSON value with every string in it (keys too) cleaned with `text`."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {data(k) if isinstance(k, str) else k: data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [data(v) for v in value]
    return value
