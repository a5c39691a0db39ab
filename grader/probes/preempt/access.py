"""The hooks an instrumented module calls when it reads or writes shared state.

Each hook performs the access itself (so it knows the location: the object and the key, not
just the value), tells the running schedule's race oracle who accessed what, under which locks
and in which region of the thread's code, records the value for the story shown to students,
and after a read gives the scheduler a chance to switch threads (the read-modify-write split).
Outside a schedule they are plain getattr/setattr/getitem/setitem.
"""
from __future__ import annotations

import _thread
import builtins
import collections
import operator
from typing import Any

from grader.probes.preempt import active
from grader.probes.preempt.active import PLAIN, hook_point, identity
from grader.probes.preempt.frames import code_of, getframe
from grader.probes.preempt.instrument import DUNDER, EXEC, GETATTR, GETITEM, GROWING_METHODS, INSTRUMENTED, LEN, \
    LOOKUP, METHOD, POINT, READ, RESIZE, SETATTR, SETITEM, WRITE, instrument
from grader.probes.preempt.oracle import GROW, SHRINK, SIZE, Access
from grader.probes.preempt.stableid import stable_id

_getattr, _setattr, _type, _isinstance, _str, _len = getattr, setattr, type, isinstance, str, len
_object_getattribute = object.__getattribute__
_SHOWN = (int, float, bool)


def _shown(value: Any) -> Any:
    kind = _type(value)
    if kind in _SHOWN:
        return value
    if kind is str and len(value) <= 40:
        return value
    return None


def storage(obj: Any, name: Any) -> Any:
    """Where an attribute lives: the instance's `__dict__` (so `self.x`, `self.__dict__['x']`,
    `vars(self)['x']` and a module's globals are one location), else the object itself."""
    try:
        namespace = _object_getattribute(obj, "__dict__")
    except Exception:
        return obj
    if _type(namespace) is not dict:
        return obj
    if name in namespace or not _data_descriptor(_type(obj), name):
        return namespace  # also for the first write, and a `threading.local`'s per-thread dict
    return obj


def _data_descriptor(cls: type, name: str) -> bool:
    """Is `name` a property (or other data descriptor) of the class? Then it is not stored in
    the instance's `__dict__` under that name."""
    try:
        for klass in cls.__mro__:
            found = klass.__dict__.get(name, _MISSING)
            if found is not _MISSING:
                return hasattr(_type(found), "__set__")
    except Exception:
        return True
    return False


_MISSING = object()


def _region(frame: Any, code: Any, thread_entry: bool) -> tuple[Any, ...]:
    """The region an access belongs to. Inside a thread's entry function (or a script's module
    level), each call it makes is a region of its own: one loop iteration's `deposit(...)`.
    Called from the grader (a probe's operation), the whole outermost call is one region.
    `code` is the frame's code: each frame's code is read once, and not at all for the grader's
    own frames (read by `frames.code_of`, which raises no audit event, but is still a call)."""
    back = frame.f_back
    back_code = _code_of(back)
    while back_code is _EXEC_CODE and back.f_back is not None:
        frame = back.f_back  # an exec'd string runs as part of the line that exec'd it
        code = code_of(frame)
        back = frame.f_back
        back_code = _code_of(back)
    root, root_code, child = frame, code, None
    parent, parent_code = back, back_code
    while parent is not None and parent_code.co_filename in INSTRUMENTED:
        root, root_code, child = parent, parent_code, root
        parent = parent.f_back
        parent_code = _code_of(parent)
    if thread_entry or root_code.co_name == "<module>":
        return (root, child)
    return (root,)


def _code_of(frame: Any) -> Any:
    """A frame's code, or for a frame of the grader's own modules (or none) a stand-in: a code
    that is neither instrumented nor `hook_exec`'s, which is all `_region` asks of it."""
    if frame is None or identity(frame.f_globals) in PLAIN:
        return _PLAIN_CODE
    return code_of(frame)


def _lock_label(sched: Any, lock: Any, frame: Any) -> str:
    key = identity(lock)
    names = sched.locks.names
    name = names.get(key)
    if name is None:
        name = _find_name(lock, frame) or active.kind(lock)
        names[key] = name
    return name


def _find_name(lock: Any, frame: Any) -> str | None:
    """The name the student's code knows a lock by: a global, or an attribute of `self`."""
    try:
        for key, value in frame.f_globals.items():
            if value is lock:
                return str(key)
        owner = frame.f_locals.get("self")
        if owner is not None:
            for key, value in _object_getattribute(owner, "__dict__").items():
                if value is lock or _getattr(value, "_lock", None) is lock:
                    return f"self.{key}"
        for key, value in frame.f_locals.items():
            if value is lock:
                return str(key)
    except Exception:
        return None
    return None


def _live() -> Any:
    """The running schedule, unless there is none or it has gone quiet or watching (past its
    budget, where nobody records accesses in full: grader/probes/preempt/watch.py)."""
    sched = active.ACTIVE
    if sched is None or _getattr(sched, "fast", False):
        return None
    return sched


def _note(kind: str, container: Any, key: Any, label: str, line: int, value: Any, frame: Any,
          code: Any = None) -> None:
    """Tell the running schedule about an access (`code`: the frame's code, if the caller read it)."""
    sched = _live()
    if sched is None:
        return
    me = sched.task()
    if me is None:
        return
    if _type(value) in (int, float):
        sched.record(me, "write" if kind == "write" else "read", line, label, value)
    sched.sites.note(me, container, key, kind in ("write", GROW, SHRINK))
    oracle = getattr(sched, "oracle", None)
    if oracle is None:
        return
    try:
        hash(key)
        if _isinstance(container, _thread._local):
            key = (key, me.index)  # each thread sees its own attributes of a threading.local
        if len(oracle.objects) >= oracle.max_locations and identity(container) not in oracle.objects:
            oracle.untracked += 1
            return
        loc = oracle.location(container, key)
        locks = tuple(_lock_label(sched, lock, frame) for lock in me.held)
        if code is None:
            code = code_of(frame)
        access = Access(me.name, kind, code.co_filename, line, label, locks, _shown(value))
        region = _region(frame, code, me.started)
        if kind == "write":
            oracle.write(me.index, loc, access, region)
        elif kind in (GROW, SHRINK):
            oracle.write(me.index, loc, access._replace(kind="write"), region, atomic=kind)
        else:
            oracle.read(me.index, loc, access, region)
    except Exception:  # an unhashable key, a hostile __hash__: not a location the oracle can follow
        return


def _kind(check: Any) -> str:
    return "spin" if check == 2 else "check" if check else "read"


def _after_read() -> None:
    sched = _live()
    if sched is not None and sched.task() is not None:
        sched.point(None)


def hook_read(value: Any, label: str, line: int, check: bool = False) -> Any:
    """A read of a global (or `nonlocal`) name."""
    if _live() is not None:
        frame = getframe(1)
        code = code_of(frame)
        if label in frame.f_globals and label not in code.co_freevars:
            _note(_kind(check), frame.f_globals, label, label, line, value, frame, code)
        else:
            _note(_kind(check), code, label, label, line, value, frame, code)
        _after_read()
    return value


def hook_write(value: Any, label: str, line: int) -> Any:
    """The value about to be stored in a global (or `nonlocal`) name."""
    sched = _live()
    if sched is not None:
        me = sched.task()
        if me is not None:
            frame = getframe(1)
            if label.isidentifier():
                code = code_of(frame)
                where = frame.f_globals if label not in code.co_freevars else code
                _note("write", where, label, label, line, value, frame, code)
    return value


def hook_getattr(obj: Any, name: Any, label: str, line: int, check: bool = False) -> Any:
    value = _getattr(obj, name)
    if _live() is not None and _type(name) is str:
        _note(_kind(check), storage(obj, name), name, label, line, value, getframe(1))
        _after_read()
    return value


def hook_setattr(obj: Any, name: Any, value: Any, label: str, line: int) -> None:
    if _live() is not None and _type(name) is str:
        _note("write", storage(obj, name), name, label, line, value, getframe(1))
    _setattr(obj, name, value)


def hook_getitem(obj: Any, key: Any, label: str, line: int, check: bool = False) -> Any:
    value = obj[key]
    if _live() is not None:
        _note(_kind(check), obj, key, label, line, value, getframe(1))
        _after_read()
    return value


def hook_setitem(obj: Any, key: Any, value: Any, label: str, line: int) -> None:
    if _live() is not None:
        _note("write", obj, key, label, line, value, getframe(1))
    obj[key] = value


def hook_exec(kind: str, source: Any, *namespaces: Any) -> Any:
    """`exec`/`eval` of a string: the string is instrumented like the file, so a race hidden
    in it is seen too. Code objects and other arguments run as they are."""
    run = builtins.exec if kind == "exec" else builtins.eval
    caller = getframe(1)
    if len(namespaces) == 0:
        namespaces = (caller.f_globals, caller.f_locals)
    if _isinstance(source, (str, bytes)) and namespaces and _type(namespaces[0]) is dict:
        text = source.decode() if _isinstance(source, bytes) else source
        where = f"<{kind} at {code_of(caller).co_filename.rsplit('/', 1)[-1]}:{caller.f_lineno}>"
        try:
            code = instrument(text, where, mode=kind)
        except SyntaxError:
            code = None
        if code is not None:
            for name, hook in student_globals().items():
                namespaces[0].setdefault(name, hook)
            return run(code, *namespaces)
    return run(source, *namespaces)


def hook_method(obj: Any, name: str, label: str, line: int, /, *args: Any, **kwargs: Any) -> Any:
    """`x.update(...)` / `x.subtract(...)`. On a Counter each key is read and written back
    (library code the scheduler never splits, but not atomic in CPython): the oracle sees a
    read-modify-write of every key, whether the keys come in a mapping, an iterable or as
    keyword arguments. On another dict (an object's `__dict__` or `vars(x)` too) `update`
    writes each key it is given. Anything else is the plain method call."""
    method = _getattr(obj, name)
    if _live() is not None and name == "update" and _isinstance(obj, dict) \
            and not _isinstance(obj, collections.Counter):
        frame = getframe(1)
        keys: list[Any] = []
        try:
            if args and _isinstance(args[0], dict):
                keys = list(args[0].keys())
        except Exception:
            keys = []
        result = method(*args, **kwargs)
        for key in (keys + list(kwargs))[:50]:
            shown = f"{label}[{key!r}]" if _type(key) in (str, int) else f"{label}[...]"
            _note("write", obj, key, shown, line, obj.get(key), frame)
        return result
    if _live() is not None and _isinstance(obj, collections.Counter):
        frame = getframe(1)
        keys = []
        try:
            if args:
                argument = args[0]
                keys = list(argument.keys()) if _isinstance(argument, dict) else \
                    list(argument) if _isinstance(argument, (list, tuple, str, set, frozenset)) else []
        except Exception:
            keys = []
        keys += list(kwargs)
        for key in keys[:50]:
            shown = f"{label}[{key!r}]" if _type(key) in (str, int) else f"{label}[...]"
            _note("read", obj, key, shown, line, obj.get(key, 0), frame)
            _note("write", obj, key, shown, line, None, frame)
    return method(*args, **kwargs)


_ACCESS_METHODS = frozenset({"__getattribute__", "__getattr__", "__setattr__", "__getitem__",
                             "__setitem__", "getitem", "setitem"})


def hook_dunder(method: Any, unbound: int, label: str, line: int, check: int, /, *args: Any) -> Any:
    """An explicit call of an access method (`object.__setattr__(x, "b", v)`,
    `x.__getattribute__("b")`, `d.__setitem__(k, v)`, through `super()` too): made as written,
    and noted as the read or write of the attribute or item it is, like `x.b` or `d[k]`."""
    sched = _live()
    if sched is None:
        return method(*args)
    name = _getattr(method, "__name__", "")
    if _type(name) is not str or name not in _ACCESS_METHODS:
        return method(*args)  # not an access method after all (a callable stored under the name)
    if name in ("getitem", "setitem") and method is not _getattr(operator, name):
        return method(*args)  # a function of the student's own that happens to be so named
    write = name in ("__setattr__", "__setitem__", "setitem")
    obj = args[0] if unbound else _getattr(method, "__self__", None)
    if _isinstance(obj, super):
        obj = _getattr(obj, "__self__", obj)
    key = args[1] if unbound else args[0]
    item = name in ("__getitem__", "__setitem__", "getitem", "setitem")
    frame = getframe(1)
    if item or _type(key) is str:
        where = obj if item else storage(obj, key)
        if write:
            _note("write", where, key, label, line, args[-1], frame)
            return method(*args)
        value = method(*args)
        _note(_kind(check), where, key, label, line, value, frame)
        _after_read()
        return value
    return method(*args)


SIZED = (list, dict, set, collections.deque)  # containers whose size threads can share


def hook_len(obj: Any, label: str, line: int, check: int = 0) -> int:
    """`len(x)`: a read of the container's size."""
    size = _len(obj)
    if _live() is not None and _isinstance(obj, SIZED):
        _note(_kind(check), obj, SIZE, f"len({label})", line, size, getframe(1))
        _after_read()
    return size


def hook_lookup(obj: Any, label: str, line: int, check: int, /, *args: Any) -> Any:
    """`x.get(key[, default])`: on a dict, a read of `x[key]` (the read half of a tally's
    `d[k] = d.get(k, 0) + 1`); on anything else, the plain call."""
    value = _getattr(obj, "get")(*args)
    if _live() is not None and _isinstance(obj, dict):
        _note(_kind(check), obj, args[0], f"{label}[{args[0]!r}]" if _type(args[0]) in (str, int)
              else f"{label}[...]", line, value, getframe(1))
        _after_read()
    return value


def hook_resize(obj: Any, name: str, label: str, line: int, /, *args: Any, **kwargs: Any) -> Any:
    """`x.append(...)`, `x.pop(...)` and the like: a change of the container's size (atomic,
    so the call itself is made as written, after its arguments were evaluated)."""
    method = _getattr(obj, name)
    if _live() is not None and _isinstance(obj, SIZED):
        kind = GROW if name in GROWING_METHODS else SHRINK
        _note(kind, obj, SIZE, f"{label}.{name}(...)", line, None, getframe(1))
    return method(*args, **kwargs)


_EXEC_CODE = hook_exec.__code__
_PLAIN_CODE = _code_of.__code__  # the grader's own code: neither instrumented nor hook_exec's


def hooks() -> dict[str, Any]:
    """The functions an instrumented module calls, by the names the rewrite gives them."""
    return {POINT: hook_point, READ: hook_read, WRITE: hook_write, GETATTR: hook_getattr,
            SETATTR: hook_setattr, GETITEM: hook_getitem, SETITEM: hook_setitem, EXEC: hook_exec,
            METHOD: hook_method, LEN: hook_len, RESIZE: hook_resize, LOOKUP: hook_lookup,
            DUNDER: hook_dunder}


def student_globals() -> dict[str, Any]:
    """What the grader puts in a namespace of the student's code: the hooks, and `id` numbered
    by first asking (stableid.py: an address would make a schedule depend on the allocator)."""
    return {**hooks(), "id": stable_id}
