"""The `logging` module as a program run under the scheduler sees it: fresh each run.

A bank program may report its balance through `logging` instead of `print` (stderr, which the
runner collects with stdout). The child runs one program several times, and `logging` keeps its
configuration in the process: a `basicConfig` in the first run would bind the root handler to
that run's output, so that later runs log into a dead buffer and `basicConfig` does nothing. Each
run therefore starts as a fresh interpreter would (no handlers on the root logger, level
WARNING, logging enabled) and leaves nothing behind: the configuration found is put back.

Handlers made during a run get a real (uncontended) lock rather than the scheduler's cooperative
one: `logging`'s internal lock is the library's, not the student's synchronisation, so it must
neither order the threads' accesses for the race oracle (which would hide a race between two
threads that both log) nor be a place where the scheduler switches threads.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

from grader.probes.preempt.primitives import ORIGINAL


def _real_lock(handler: logging.Handler) -> None:
    handler.lock = ORIGINAL["RLock"]()  # type: ignore[assignment]


@contextlib.contextmanager
def fresh_logging() -> Iterator[None]:
    """Run the body with the root logger as a fresh interpreter has it, then put back the
    configuration found (handlers, levels, loggers made meanwhile dropped)."""
    manager = logging.Logger.manager
    root = logging.getLogger()
    known = dict(manager.loggerDict)
    saved: list[tuple[Any, list[logging.Handler], int, bool, bool, Any]] = [
        (logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled,
         logger.parent)
        for logger in [root, *known.values()] if isinstance(logger, logging.Logger)]
    disable = logging.root.manager.disable
    create_lock = logging.Handler.createLock
    logging.Handler.createLock = _real_lock  # type: ignore[method-assign, assignment]
    root.handlers[:] = []
    root.setLevel(logging.WARNING)
    logging.disable(logging.NOTSET)
    try:
        yield
    finally:
        logging.Handler.createLock = create_lock  # type: ignore[method-assign]
        manager.loggerDict.clear()
        manager.loggerDict.update(known)
        for logger, handlers, level, propagate, disabled, parent in saved:
            logger.handlers[:] = handlers
            logger.level, logger.propagate, logger.disabled = level, propagate, disabled
            logger.parent = parent
        logging.disable(disable)
        manager._clear_cache()  # type: ignore[attr-defined]
