"""The timeline shown in a downloader's feedback: an ASCII Gantt chart of the requests the
grader's server saw (one row per request, time left to right), with the student's status lines,
the moment the grader started answering and the moment the student's code ended."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

_STEPS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _column_width(span: float, width: int) -> float:
    for step in _STEPS:
        if span / step <= width:
            return step
    return math.ceil(span / width)


def in_flight_steps(requests: list[dict[str, Any]], until: float) -> list[tuple[float, int]]:
    """(time, in-flight count from then on) for every change."""
    events: list[tuple[float, int]] = []
    for r in requests:
        events.append((r["start"], 1))
        events.append((r["end"] if r["end"] is not None else until, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # a request ending at t leaves before one arriving
    steps, count = [], 0
    for t, delta in events:
        count += delta
        steps.append((t, count))
    return steps


@dataclass(frozen=True)
class _Grid:
    """The chart's columns: `step` seconds each, `cols` of them, up to `last` seconds."""

    step: float
    cols: int
    last: float

    def col(self, t: float) -> int:
        return max(0, min(int(t / self.step), self.cols - 1))

    def blank(self) -> list[str]:
        return [" "] * self.cols


def _grid(requests: list[dict[str, Any]], prints: dict[int, list[float]],
          returned_at: float | None, end: float | None, width: int) -> _Grid:
    times = [t for r in requests for t in (r["start"], r["released"], r["end"]) if t is not None]
    times += [t for ts in prints.values() for t in ts]
    if returned_at is not None:
        times.append(returned_at)
    last = max(times + ([end] if end is not None else []))
    step = _column_width(max(last, 1e-3), width)
    return _Grid(step, int(last / step) + 2, last)


def _raised(r: dict[str, Any]) -> bool:
    return r["end"] is not None and bool(r["outcome"]) and not r["outcome"].isdigit()


def _legend(shown: list[dict[str, Any]], grid: _Grid, prints: dict[int, list[float]],
            gate_shown: bool, returned: bool, held_label: str, returned_label: str) -> str:
    """The first line: the column's width and what each symbol in use means."""
    held = any(r["released"] is not None and grid.col(r["released"]) > grid.col(r["start"])
               for r in shown)
    raised = any(_raised(r) for r in shown)
    unit = f"{grid.step * 1000:g} ms" if grid.step < 1 else f"{grid.step:g} s"
    symbols = [s for s, used in (("= request in progress", True),
                                 (f". {held_label}", held),
                                 ("x request raised", raised),
                                 ("* your status line printed", bool(prints)),
                                 ("G the grader started answering", gate_shown),
                                 (f"R {returned_label}", returned)) if used]
    return f"timeline of the requests (1 column = {unit}): " + ", ".join(symbols)


def _axis(grid: _Grid, label_width: int) -> str:
    axis = grid.blank()
    for c in range(0, grid.cols, 10):
        text = f"{c * grid.step:g}s"
        if c + len(text) <= grid.cols:
            axis[c:c + len(text)] = list(text)
    return " " * (label_width + 8) + "".join(axis).rstrip()


def _row(r: dict[str, Any], grid: _Grid, prints: dict[int, list[float]], label_width: int) -> str:
    """One request: held (.), in progress (=), raised (x), its status lines (*)."""
    row, col = grid.blank(), grid.col
    stop = r["end"] if r["end"] is not None else grid.last
    released = r["released"] if r["released"] is not None else stop
    for c in range(col(r["start"]), col(released) + 1):
        row[c] = "."
    for c in range(col(released), col(stop) + 1):
        row[c] = "="
    if _raised(r):
        row[col(r["end"])] = "x"
    for t in prints.get(r["id"], []):
        row[col(t)] = "*"
    label = r["url"] if len(r["url"]) <= label_width else r["url"][: label_width - 3] + "..."
    outcome = r["outcome"] or ("still in flight" if r["end"] is None else "")
    return f"  {r['method']:<4} {label:<{label_width}}  {''.join(row)}  {outcome}"


def _in_flight_row(requests: list[dict[str, Any]], grid: _Grid, label_width: int) -> str:
    """How many requests were in flight in each column (the most it reached there)."""
    counts = [0] * grid.cols
    steps = in_flight_steps(requests, grid.last)
    for c in range(grid.cols):
        lo, hi = c * grid.step, (c + 1) * grid.step
        level = current = 0
        for t, count in steps:
            if t < lo:
                current = count  # the level the column starts with
            elif t < hi:
                level = max(level, count)  # and every level reached inside it
        counts[c] = max(level, current)
    digits = "".join(str(n) if n < 10 else "+" for n in counts)
    return f"  {'in flight':<{label_width + 5}}  {digits}"


def _marks(grid: _Grid, gate_at: float | None, returned_at: float | None,
           label_width: int) -> list[str]:
    out = []
    for letter, at, name in (("G", gate_at, "answering"), ("R", returned_at, "end")):
        if at is not None:
            marks = grid.blank()
            marks[grid.col(at)] = letter
            out.append(f"  {name:<{label_width + 5}}  {''.join(marks).rstrip()}")
    return out


def _gate_note(gate: dict[str, Any]) -> str:
    if gate.get("reason") == "quiet":
        return (f"  the grader held the requests until 1 s passed without a new one: "
                f"only {gate.get('count')} had started by then (it waits for "
                f"{gate.get('target')})")
    return (f"  the grader started answering as soon as {gate.get('count')} requests "
            "were in flight at once")


def render_timeline(requests: list[dict[str, Any]], *, prints: dict[int, list[float]] | None = None,
                    returned_at: float | None = None, gate: dict[str, Any] | None = None,
                    end: float | None = None, returned_label: str = "the call returned",
                    held_label: str = "held: the grader answers once enough requests have started",
                    width: int = 60, label_width: int = 34, max_rows: int = 30) -> str:
    """An ASCII Gantt chart: one row per request (in order of arrival), time left to right.

    `prints` maps a request id to the times the student's status line(s) for it were printed;
    `gate` is a server snapshot's gate record; `returned_at` marks when the student's code ended.
    """
    if not requests:
        return "timeline: no request reached the grader's server"
    prints = prints or {}
    grid = _grid(requests, prints, returned_at, end, width)
    shown = requests[:max_rows]
    gate_shown = bool(gate and gate.get("opened") and gate.get("at") is not None)
    out = [_legend(shown, grid, prints, gate_shown, returned_at is not None, held_label,
                   returned_label), _axis(grid, label_width)]
    out += [_row(r, grid, prints, label_width) for r in shown]
    if len(requests) > max_rows:
        out.append(f"  ... and {len(requests) - max_rows} more requests")
    out.append(_in_flight_row(requests, grid, label_width))
    out += _marks(grid, gate["at"] if gate_shown and gate else None, returned_at, label_width)
    if gate_shown and gate:
        out.append(_gate_note(gate))
    return "\n".join(out)
