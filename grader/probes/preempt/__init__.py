"""Forced preemption: run student code on real threads, one at a time, switching at seeded points.

`instrument` rewrites the student's module so that it reaches a scheduling point between
statements and after every read of shared state; `scheduler` decides at each point, from a
seeded random generator, which thread runs next; `primitives` stands in for the student's
locks, conditions, semaphores, events and threads so that blocking is visible to the
scheduler. Same seed, same interleaving: a failing schedule replays exactly.

The modules import each other at the top level, in one direction (each only from those
before it):
  leaves: `active` (the running schedule, the point hook, `identity`), `tasks` (threads and
          their table), `instrument` (the rewrite), `coverage` (the interleavings a schedule covered, and
          when exploring stops), `oracle` (happens-before and atomicity, feeding `coverage`);
  parts of a schedule: `choice` (who runs next), `events` (the log), `lockgraph` (lock order,
          deadlocks), `sites` (shared writes), `parking` (threads between schedules), `stall`
          (waiting for the end), `wakeups` (waits no loop re-checks), `gaps` (a mover kept
          waiting in the gap of a call meant to be atomic: directed schedules);
  what the student's code calls: `vtime`, `primitives`, `answers`, `access` (the full hooks),
          `quiet`, `watch`, `siblings` (helper modules, instrumented);
  `modes` (sampled, watching, quiet), then `scheduler`, which composes them; then `runner`
  (a program or a call under one schedule), `engine` (seeded schedules of a scenario),
  `verdict` and `explain` (what the findings and the story say).
"""
