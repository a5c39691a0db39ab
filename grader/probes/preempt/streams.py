"""Each thread's own `random` stream, put away and brought back at every turn (scheduler._give).

Why each thread has one: what a thread draws must not depend on how the threads interleave, or
the same seed would not give the same schedule. Why not `random.getstate()`/`setstate()`: the
state is a tuple of 625 ints, about 14 us to build and 3 us to load, and a bank grading hands
the turn over some 4,000 times (a tenth of its CPU). The generator's state is one C struct (the
Mersenne Twister's index and 624 words, `_random.Random` past the object header) plus the
Python-level `gauss_next`; here it is copied to and from a buffer of the thread's with one
`memmove`, about 0.4 us.

The copy is of `random`'s shared instance as it was when the engine loaded, before any code of
the student's ran (a rebound `random._inst` changes nothing: the module's functions are bound to
the original). A self-test at import copies between two generators and compares `getstate()`;
an interpreter where that does not hold gets the tuples instead, as before.
"""
from __future__ import annotations

import _random
import ctypes
import random
from typing import Any

_INST = random._inst  # type: ignore[attr-defined]
_HEADER = object.__basicsize__
_SIZE = _random.Random.__basicsize__ - _HEADER
_get, _set = object.__getattribute__, object.__setattr__
# keeps the GIL (a CFUNCTYPE would let another thread run in the middle of a turn's hand-over)
_memmove = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)(
    ctypes._memmove_addr)  # type: ignore[attr-defined]
_BUFFER = ctypes.c_char * max(_SIZE, 1)


class Stream:
    """One thread's `random` state while another thread runs."""

    __slots__ = ("words", "address", "gauss_next", "state")

    def __init__(self) -> None:
        self.words = _BUFFER()
        self.address = ctypes.addressof(self.words)
        self.gauss_next: Any = None
        self.state: Any = None  # getstate()'s tuple, where the copy is not used


def _copy(generator: random.Random, stream: Stream) -> None:
    _memmove(stream.address, id(generator) + _HEADER, _SIZE)
    stream.gauss_next = _get(generator, "gauss_next")


def _paste(stream: Stream, generator: random.Random) -> None:
    _memmove(id(generator) + _HEADER, stream.address, _SIZE)
    _set(generator, "gauss_next", stream.gauss_next)


def _copy_works() -> bool:
    """Copying one generator's struct into another gives it the same `getstate()`."""
    if _SIZE <= 0 or type(_INST) is not random.Random:
        return False
    source, target, stream = random.Random("source"), random.Random("target"), Stream()
    source.gauss(0, 1)  # a gauss_next to carry
    _copy(source, stream)
    _paste(stream, target)
    return target.getstate() == source.getstate() and target.random() == source.random()


_FAST = _copy_works()
_ADDRESS = id(_INST) + _HEADER


def save(stream: Stream | None) -> Stream:
    """The running thread's state, into its `stream` (a new one the first time)."""
    if stream is None:
        stream = Stream()
    if _FAST:
        _memmove(stream.address, _ADDRESS, _SIZE)
        stream.gauss_next = _get(_INST, "gauss_next")
    else:
        stream.state = random.getstate()
    return stream


def load(stream: Stream) -> None:
    """The next thread's state, back into `random`."""
    if _FAST:
        _memmove(_ADDRESS, stream.address, _SIZE)
        _set(_INST, "gauss_next", stream.gauss_next)
    else:
        random.setstate(stream.state)


_FIRST: dict[int, Stream] = {}  # the first state of a thread, by its index (see load_first)
FIRST_KEPT = 64


def load_first(index: int) -> None:
    """`random`'s state as the thread of this index finds it when it first runs: seeded by its
    index only, the same in every schedule. Seeding costs about 16 us, so each index's is made
    once (the first 64) and kept; loading it copies it, and the thread saves into a stream of
    its own when it first gives up the turn (`save(None)`)."""
    made = _FIRST.get(index)
    if made is None:
        made = Stream()
        generator = random.Random(f"0:{index}")
        if _FAST:
            _copy(generator, made)
        made.state = generator.getstate()
        if index < FIRST_KEPT:
            _FIRST[index] = made
    load(made)


def c_functions() -> dict[str, Any]:
    """The C function behind the copies (for the engine's integrity check)."""
    return {"memmove": _memmove}
