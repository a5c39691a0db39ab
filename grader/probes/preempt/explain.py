"""Turn a schedule's recorded events into lines a student can follow in their own code."""
from __future__ import annotations

from grader.probes.preempt.events import Event

SHOWN = ("read", "write", "acquire", "release", "block")


def _source(lines: list[str], line: int | None) -> str:
    if line is None or not (0 < line <= len(lines)):
        return ""
    return lines[line - 1].strip()


def describe_event(event: Event, filename: str, lines: list[str]) -> str:
    where = f" at {filename}:{event.line}" if event.line else ""
    text = _source(lines, event.line)
    code = f"    {text}" if text else ""
    if event.kind == "read":
        return f"{event.thread} read {event.label}={event.value!r}{where}{code}"
    if event.kind == "write":
        return f"{event.thread} wrote {event.label}={event.value!r}{where}{code}"
    if event.kind == "acquire":
        return f"{event.thread} took {event.label}{where}"
    if event.kind == "release":
        return f"{event.thread} released {event.label}{where}"
    if event.kind == "block":
        return f"{event.thread} waits for {event.label}{where}"
    return f"{event.thread} {event.kind}{where}"


def lost_update(events: list[Event], filename: str, lines: list[str], limit: int = 14) -> list[str]:
    """The first write that overwrote another thread's write made after this thread's read."""
    last_read: dict[tuple[str, str], int] = {}
    last_write: dict[str, tuple[int, str]] = {}
    for index, event in enumerate(events):
        if event.kind == "read":
            last_read[(event.thread, event.label)] = index
        elif event.kind == "write":
            start = last_read.get((event.thread, event.label))
            other = last_write.get(event.label)
            if start is not None and other is not None and other[0] > start and other[1] != event.thread:
                start = min(start, last_read.get((other[1], event.label), start))
                involved = {event.thread, other[1]}
                window = [e for e in events[start:index + 1] if e.kind in SHOWN and e.thread in involved
                          and (e.label == event.label or e.kind in ("acquire", "release"))]
                story = [describe_event(e, filename, lines) for e in _shorten(window, limit)]
                story.append(f"=> {event.thread} overwrote {other[1]}'s update of {event.label}: "
                             "one update was lost")
                return story
            last_write[event.label] = (index, event.thread)
    return []


def _shorten(window: list[Event], limit: int) -> list[Event]:
    if len(window) <= limit:
        return window
    half = limit // 2
    return window[:half] + window[-half:]


def recent(events: list[Event], filename: str, lines: list[str], limit: int = 16) -> list[str]:
    shown = [e for e in events if e.kind in SHOWN]
    return [describe_event(e, filename, lines) for e in shown[-limit:]]


def replay_command(task: str, filename: str, seed: int) -> str:
    """The one spelling of the command that regrades a file with the same schedules (checks'
    details, every report and the feedback all use it)."""
    return f"grader check {task} {filename} --seed {seed}"


def replay(task: str, filename: str, seed: int) -> str:
    return f"replay this schedule with: {replay_command(task, filename, seed)}"
