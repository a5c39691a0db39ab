"""The lock graph of a schedule: the names of its locks, the order they were taken in (lockdep)
and what a deadlock looks like.

Every lock taken while another is held adds an edge held -> taken; an edge the other way by
another thread, with no common lock guarding both, is a lock-order inversion, reported even in a
schedule that did not hang. When nobody can run, a cycle of threads each waiting for a lock the
next one holds is a deadlock, described thread by thread in the student's lines.
"""
from __future__ import annotations

import sys
from typing import Any

from grader.probes.preempt.active import identity, kind
from grader.probes.preempt.tasks import BLOCKED, Task, student_stack


class LockGraph:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}  # identity(lock) -> the name the student's code knows it by
        self.edges: dict[tuple[int, int], dict[str, Any]] = {}
        self.inversion: dict[str, Any] | None = None

    def name(self, lock: Any, name: str) -> None:
        self.names.setdefault(identity(lock), name)

    def label(self, lock: Any) -> str:
        return self.names.get(identity(lock), kind(lock))

    def order(self, me: Task, lock: Any, line: int | None) -> None:
        """`me` takes `lock` (blocking) while holding `me.held`: an edge from each lock held."""
        for index, held in enumerate(me.held):
            if held is lock:
                continue
            guards = {identity(g) for g in me.held[:index]}
            key = (identity(held), identity(lock))
            self.edges.setdefault(key, {"thread": me.name, "line": line, "guards": guards,
                                        "first": self.label(held), "second": self.label(lock)})
            back = self.edges.get((identity(lock), identity(held)))
            if back and back["thread"] != me.name and not (back["guards"] & guards) \
                    and self.inversion is None:
                self.inversion = {"a": back, "b": self.edges[key]}

    @staticmethod
    def cycle(tasks: list[Task]) -> bool:
        """Threads waiting for locks in a cycle (each holds what the next waits for)."""
        by_ident = {t.ident: t for t in tasks if t.ident is not None}
        for start in tasks:
            seen: set[int] = set()
            task: Task | None = start
            while task is not None and task.state == BLOCKED and task.index not in seen:
                seen.add(task.index)
                holder = getattr(task.waiting_on, "_owner", None)
                task = by_ident.get(holder) if holder is not None else None
                if task is start:
                    return True
        return False

    def deadlock(self, tasks: list[Task], filename: str, source_lines: list[str]) -> list[dict[str, Any]]:
        """Each blocked thread: what it waits for, who holds it, and its stack in the student's
        lines."""
        frames = sys._current_frames()
        out = []
        for t in tasks:
            if t.state != BLOCKED:
                continue
            waiting = t.waiting_on
            holder = getattr(waiting, "_owner", None)
            holder_name = next((o.name for o in tasks if o.ident == holder), None)
            if isinstance(waiting, Task):
                what = f"waits for {waiting.name} to finish (join)"
            else:
                what = f"waits for {self.label(waiting)}"
                if holder_name == t.name:
                    what += ", which it already holds itself"
                elif holder_name:
                    what += f", held by {holder_name}"
            frame = frames.get(t.ident) if t.ident else None
            stack = student_stack(frame, filename, source_lines) if frame else []
            out.append({"thread": t.name, "waits": what, "stack": stack})
        return out
