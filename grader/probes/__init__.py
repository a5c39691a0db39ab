"""Probes: what runs in the sandboxed child for each check, and what crosses back.

    protocol.py  the typed records of the boundary (Job, ProbeRequest, ProbeResult: Observed,
                 Crashed or Tampered), checked once where they arrive
    probing.py   what a probe sees in the child: the student's module and the rubric's words
    registry.py  checks registered by name: a probe (in the child) and a judge (in the grader),
                 and the plan the grader makes for a probe from the seed
    syntax.py    `ast.parse` one at a time, for every parse in the grader and the child (threads
                 building ASTs at once trip CPython's per-interpreter depth counter)
    preempt/     the seeded cooperative scheduler the probes run student code under, with
                 virtual time and the race oracle

Empty on purpose: the child imports this package, and only the modules it uses.
"""
