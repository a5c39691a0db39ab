"""Forced preemption: run student code on real threads, one at a time, switching at seeded points.

`instrument` rewrites the student's module so that it reaches a scheduling point between
statements and after every read of shared state; `scheduler` decides at each point, from a
seeded random generator, which thread runs next; `primitives` stands in for the student's
locks, conditions, semaphores, events and threads so that blocking is visible to the
scheduler. Same seed, same interleaving: a failing schedule replays exactly.
"""
