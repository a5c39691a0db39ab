"""Shared sites: which started threads touched which location, and how its writes were made.

The race oracle judges orders; this counts, for `script_uses_lock`, the writes to state that two
or more of the threads the code started touched, with and without a lock held (a thread's own
object, or a result the main thread reads after joining, is not shared).
"""
from __future__ import annotations

from typing import Any

from grader.probes.preempt.active import identity
from grader.probes.preempt.tasks import Task


class SharedSites:
    def __init__(self) -> None:
        # (identity(container), key) -> [indexes of started threads that touched it, locked writes,
        # unlocked writes]
        self.sites: dict[tuple[int, Any], list[Any]] = {}

    def note(self, me: Task, container: Any, key: Any, write: bool) -> None:
        """An access by a thread the code started (the main thread's, before it starts threads
        or after it joins them, share nothing)."""
        if not me.started:
            return
        try:
            site_key = (identity(container), key)
            site = self.sites.get(site_key)
        except Exception:  # an unhashable key, a hostile __hash__
            return
        if site is None:
            site = self.sites[site_key] = [set(), 0, 0]
        site[0].add(me.index)
        if write:
            site[1 if me.held else 2] += 1

    def writes(self) -> dict[str, int]:
        """Writes, with and without a lock held, to state that two or more started threads
        touched."""
        locked = unlocked = 0
        for threads, with_lock, without in self.sites.values():
            if len(threads) >= 2:
                locked, unlocked = locked + with_lock, unlocked + without
        return {"locked": locked, "unlocked": unlocked}
