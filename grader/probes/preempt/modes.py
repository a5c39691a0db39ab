"""The modes of a schedule, and the hooks each one puts in the instrumented namespaces.

A schedule starts *sampled*: every point and access is recorded in full (the race oracle's
windows, the locks held, the student's lines) and may switch threads. Past its `budget` it goes
*quiet* (grader/probes/preempt/quiet.py: the hooks only make the access, nothing is recorded, threads
switch only when they block, end or have run `spin` points) or, in a program run while threads
still run concurrently, *watches* (grader/probes/preempt/watch.py: cheap happens-before checks on the
oracle's clocks, which locks, starts and joins keep up to date); a conflict the watch sees hands
the run back to the sampled mode for a burst of ESCALATION points. Once the oracle has found a
race the rest of the run is quiet: the verdict is made.

A program run (`follow`) spends its budget where threads run: before the program starts its
first thread (a warm-up, `t.run()`) the schedule is quiet, and the budget counts only the
points made from then on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.probes.preempt import quiet, watch
from grader.probes.preempt.access import storage
from grader.probes.preempt.active import identity
from grader.probes.preempt.oracle import Access
from grader.probes.preempt.siblings import loaded
from grader.probes.preempt.tasks import Abort, Task

if TYPE_CHECKING:  # for annotations only: the scheduler composes this module's classes
    from grader.probes.preempt.scheduler import Scheduler

SAMPLED, WATCH, QUIET = "sampled", "watch", "quiet"
ESCALATION = 30_000  # points recorded in full after the watch saw a conflict (a few turns)
MAX_ESCALATIONS = 8  # per schedule: past them the watch only watches
WATCH_ROUNDS = 4  # rounds of stretches watched in full past the budget (see Modes.stretch)
WATCH_PERIOD = 8  # past them one round in WATCH_PERIOD is watched


class HookTables:
    """The hooks each instrumented namespace holds: its own full ones (saved when the mode
    first changes), the quiet ones, or the watch's for it; the helper modules the submission
    imported (grader/probes/preempt/siblings.py) are switched with the schedule's namespaces."""

    def __init__(self) -> None:
        self.namespaces: list[dict[str, Any]] = []
        self._saved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # identity(ns) -> its hooks
        self._watch: dict[int, dict[str, Any]] = {}  # identity(ns) -> the watch's hooks for it

    def install(self, mode: str) -> None:
        for ns in self.namespaces + [helper for _, helper in loaded()]:
            saved = self._saved.get(identity(ns))
            if saved is None:
                saved = self._saved[identity(ns)] = (ns, {name: ns[name] for name in quiet.HOOKS
                                                    if name in ns})
            if mode == WATCH:
                table = self._watch.get(identity(ns))
                if table is None:
                    table = self._watch[identity(ns)] = watch.hooks_for(ns)
            else:
                table = quiet.HOOKS if mode == QUIET else saved[1]
            for name in saved[1]:
                ns[name] = table[name]

    def restore(self) -> None:
        for ns, hooks in self._saved.values():
            ns.update(hooks)
        self._saved.clear()


class Modes:
    """The mode of one schedule and when it changes. It sets the scheduler's `fast` (quiet or
    watching: locks take their short path) and `watching` flags, which the hooks and locks
    read on every access, and its event log's `on`."""

    def __init__(self, sched: Scheduler, *, follow: bool, budget: int, stop_at_budget: bool,
                 quiet_limit: int) -> None:
        self.sched = sched
        self.follow = follow
        self.budget = budget
        self.stop_at_budget = stop_at_budget
        self.quiet_limit = quiet_limit
        self.mode = SAMPLED
        self.hooks = HookTables()
        self.sampled = 0  # points made in the sampled mode while threads ran concurrently
        self.burst = 0  # points left of an escalation
        self.escalations = 0
        self.settled = False  # the oracle found a race: quiet for the rest of the run
        self.unjoined: set[int] = set()  # tasks that ended and nobody has joined yet
        self.watch: watch.Watch | None = None  # made when first needed
        self.resting = False  # past the budget, concurrent, but this round is not watched
        self.stretches = 0  # stretches begun past the budget while threads ran concurrently

    def concurrent(self) -> bool:
        """Two or more threads alive, or one that ended and nobody joined (its last accesses
        are still unordered with what the others do)."""
        if self.sched.table.live() >= 2:
            return True
        if self.unjoined:
            self.unjoined -= self.sched.oracle.joined
        return bool(self.unjoined)

    def update(self) -> None:
        """Put a program run in the mode its threads call for (after a start, an end, a join, a
        burst, or every `spin` points of the cheap modes)."""
        if not self.follow or self.sched.aborted:
            return
        if self.settled:
            self.set(QUIET)
        elif not self.concurrent():
            # before any thread starts (a warm-up): quiet; after, the main thread's reads of
            # what the threads wrote are recorded while the budget lasts (shared state)
            self.set(SAMPLED if self.sched.table.spawned and self.sampled <= self.budget else QUIET)
        elif self.burst or self.sampled <= self.budget:
            self.set(SAMPLED)
        elif self.stop_at_budget:
            self.sched.stop("budget")
        else:
            self.set(QUIET if self.resting else WATCH)

    def sampled_point(self) -> bool:
        """A point in the sampled mode of a program run; True if it ended the sampled mode."""
        if self.sched.oracle.violations and not self.stop_at_budget:
            self.settled = True  # the race is found: the rest needs no watching
        elif self.burst:
            self.burst -= 1
            if self.burst:
                return False
        else:
            self.sampled += 1
            if self.sampled <= self.budget:
                return False
        self.update()
        if self.sched.aborted:
            raise Abort(self.sched.aborted)
        return self.mode != SAMPLED

    def budget_spent(self) -> None:
        """The budget of a schedule that does not follow its threads is spent: stop here, or
        run on with cheap hooks and no recording."""
        if self.stop_at_budget or self.budget >= self.sched.max_steps:
            self.sched.stop("budget" if self.stop_at_budget else "steps")
            return
        self.set(QUIET)

    def escalate(self, other: tuple[Any, ...] | None = None) -> None:
        """The watch saw a conflict: record the next `ESCALATION` points in full, so that the
        oracle names the race in the student's lines if it is one. `other`: the other thread's
        last write of the location, as the watch saw it (container, key, thread index, clock,
        line, expression, locks held), given to the oracle as if it had recorded it."""
        if self.escalations >= MAX_ESCALATIONS or self.settled or self.mode != WATCH:
            return
        self.escalations += 1
        self.burst = ESCALATION
        self.set(SAMPLED)
        if other is not None:
            sched = self.sched
            container, key, tid, clock, line, label, locks = other
            if type(key) is str and type(container) is not dict:
                container = storage(container, key)
            names = tuple(sched.locks.label(lock) for lock in locks)
            access = Access(sched.tasks[tid].name, "write", sched.filename, line, label, names)
            sched.oracle.seed_write(tid, sched.oracle.location(container, key), access, clock)

    def set(self, mode: str) -> None:
        if mode == self.mode:
            return
        sched = self.sched
        if self.mode == SAMPLED:  # windows the full oracle opened close unseen in another mode
            sched.oracle.close_windows()
        elif self.mode == QUIET:  # the locks' short paths kept no account of the locks held
            for task in sched.tasks:
                task.held = [lock for lock in task.held if not hasattr(lock, "_owner")
                             or lock._owner == task.ident and lock.locked()]
        if mode == WATCH:
            if self.watch is None:
                self.watch = watch.Watch(sched)
                sched.watch_acquire, sched.watch_release = self.watch.acquire, self.watch.release
            self.watch.new_era()
            if self.mode == QUIET:  # locks went unfollowed
                sched.oracle.order_all()
        self.mode = mode
        sched.fast, sched.watching, sched.log.on = mode != SAMPLED, mode == WATCH, mode == SAMPLED
        watch._CURRENT[0] = self.watch if mode == WATCH else None
        self.hooks.install(mode)

    def turn(self, concurrent_only: bool = False) -> None:
        """In a cheap mode, a turn was handed over or one thread ran `spin` points: past the
        budget (and, for the latter, while threads run concurrently) a stretch begins."""
        if self.follow and self.sampled > self.budget and not self.settled \
                and (not concurrent_only or self.concurrent()):
            self.stretch()

    def stretch(self) -> None:
        """Past the budget, while threads run concurrently, a stretch begins (a turn, or `spin`
        more points of one thread). Stretches go in rounds (two per live thread, at most 16);
        the first WATCH_ROUNDS rounds are watched, then one in WATCH_PERIOD, and the others
        rest (quiet: no hooks, no clocks), so that a program of 2 x 10^7 locked updates is
        graded within ten times its plain run. Counted in stretches, not in time: the same
        program is watched at the same points on any machine. A round that is watched begins
        with every thread ordered after all that happened before it (`RaceOracle.order_all`):
        a conflict it reports lies within it, with clocks that followed every lock."""
        self.stretches += 1
        size = min(2 * max(self.sched.table.live(), 2), 16)
        round_ = (self.stretches - 1) // size
        resting = round_ >= WATCH_ROUNDS and round_ % WATCH_PERIOD != 0
        if resting != self.resting:
            self.resting = resting
            self.update()

    def ended(self, task: Task) -> None:
        """A thread of a program run ended: unordered with the others until someone joins it."""
        self.unjoined.add(task.index)
        if self.watch is not None:
            self.watch.threads.pop(task.ident, None)  # type: ignore[arg-type]  # an OS thread id is reused
        self.update()

    def restore(self) -> None:
        """The schedule is over: the namespaces get their full hooks back."""
        self.hooks.restore()
        if self.watch is not None:
            watch._CURRENT[0] = None
