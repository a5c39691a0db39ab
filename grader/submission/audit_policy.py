"""What a bank or downloader submission may use: the allow-list behind the static audit.

A deny-list of names loses to the first spelling nobody listed (`getattr(sys, "modules")`,
`object.__getattribute__(x, "f_" + "back")`, `pkgutil.resolve_name`, a pickle). Real submissions
of these two exercises use a small part of Python, measured on the labelled corpora and the
outside programs (`bench/corpus_bench.py`, `bench/wild_bench.py`): threads, locks, queues,
executors, time, random, logging, `requests`/`urllib`, a few data modules, and the usual dunder
methods. Anything outside that list is not wrong, only unusual enough that a person should
look before the automated score stands (`GradeReport.needs_review`). A task may allow more
modules in the rubric (`allowed_imports:`).
"""
from __future__ import annotations

# Modules a submission may import. None: every public attribute; a set: only those attributes
# (the module also reaches the interpreter: `sys.modules`, `os.dup2`, `gc.get_objects`).
# A package listed with ".*" allows its submodules as well.
PUBLIC = None
OS = frozenset({
    "path", "getcwd", "getcwdb", "chdir", "listdir", "scandir", "walk", "makedirs", "mkdir",
    "remove", "unlink", "rename", "replace", "rmdir", "removedirs", "getpid", "cpu_count",
    "sched_getaffinity", "urandom", "sep", "altsep", "linesep", "pathsep", "name", "curdir",
    "pardir", "extsep", "devnull", "fspath", "fsencode", "fsdecode", "PathLike", "DirEntry",
    "get_terminal_size", "terminal_size", "access", "F_OK", "R_OK", "W_OK", "X_OK", "stat",
    "strerror", "error", "_exit", "times", "getlogin",
})
SYS = frozenset({
    "argv", "exit", "stdout", "stderr", "stdin", "__stdout__", "__stderr__", "__stdin__",
    "version", "version_info", "hexversion", "platform", "maxsize", "float_info", "int_info",
    "byteorder", "getsizeof", "getrecursionlimit", "setrecursionlimit", "getswitchinterval",
    "setswitchinterval", "exc_info", "exception", "executable", "implementation",
    "getdefaultencoding", "getfilesystemencoding", "maxunicode", "intern",
})
# `sys.path` only to add a folder (`sys.path.append(...)`): reading it shows where the grader's
# code was loaded from.
SYS_PATH_CHANGES = frozenset({"append", "insert"})
GC = frozenset({"collect", "enable", "disable", "isenabled", "get_count", "get_threshold",
                "set_threshold"})
TYPES = frozenset({"SimpleNamespace", "MappingProxyType", "GeneratorType", "NoneType",
                   "MethodType", "BuiltinFunctionType"})
THREAD = frozenset({"start_new_thread", "start_new", "allocate_lock", "allocate", "get_ident",
                    "LockType", "error", "RLock", "stack_size", "TIMEOUT_MAX"})
MODULES: dict[str, frozenset[str] | None] = {
    "__future__": PUBLIC, "threading": PUBLIC, "_thread": THREAD, "queue": PUBLIC,
    "concurrent.*": PUBLIC, "multiprocessing": PUBLIC, "multiprocessing.dummy": PUBLIC,
    "multiprocessing.pool": PUBLIC, "asyncio.*": PUBLIC, "sched": PUBLIC, "signal": PUBLIC,
    "atexit": PUBLIC, "time": PUBLIC, "timeit": PUBLIC, "random": PUBLIC, "secrets": PUBLIC,
    "logging.*": PUBLIC, "warnings": PUBLIC, "traceback": PUBLIC, "requests.*": PUBLIC,
    "urllib.*": PUBLIC, "urllib3.*": PUBLIC, "http.*": PUBLIC, "socket": PUBLIC, "ssl": PUBLIC,
    "selectors": PUBLIC, "select": PUBLIC, "mimetypes": PUBLIC, "html.*": PUBLIC,
    "xml.etree.*": PUBLIC, "email.*": PUBLIC, "base64": PUBLIC, "hashlib": PUBLIC, "zlib": PUBLIC,
    "gzip": PUBLIC, "zipfile": PUBLIC, "collections.*": PUBLIC, "dataclasses": PUBLIC,
    "typing": PUBLIC, "typing_extensions": PUBLIC, "abc": PUBLIC, "enum": PUBLIC,
    "numbers": PUBLIC, "types": TYPES, "json": PUBLIC, "csv": PUBLIC, "datetime": PUBLIC,
    "calendar": PUBLIC, "decimal": PUBLIC, "fractions": PUBLIC, "math": PUBLIC,
    "cmath": PUBLIC, "statistics": PUBLIC, "functools": PUBLIC, "itertools": PUBLIC,
    "operator": PUBLIC, "contextlib": PUBLIC, "copy": PUBLIC, "heapq": PUBLIC, "bisect": PUBLIC,
    "array": PUBLIC, "weakref": PUBLIC, "argparse": PUBLIC, "pathlib": PUBLIC,
    "string": PUBLIC, "re": PUBLIC, "textwrap": PUBLIC, "pprint": PUBLIC, "uuid": PUBLIC,
    "io": PUBLIC, "shutil": PUBLIC, "glob": PUBLIC, "fnmatch": PUBLIC, "tempfile": PUBLIC, "platform": PUBLIC, "locale": PUBLIC,
    "unittest": PUBLIC, "os": OS, "os.path": PUBLIC, "sys": SYS, "gc": GC,
}
# Dunder attributes a submission may read (defining any dunder method is always fine). Not
# `__module__`: which module `threading.Lock` or `time.sleep` comes from is how a program would
# tell it runs under the grader's scheduler.
DUNDERS = frozenset({
    "__init__", "__new__", "__del__", "__name__", "__qualname__", "__doc__",
    "__class__", "__file__", "__version__", "__annotations__", "__slots__", "__enter__",
    "__exit__", "__aenter__", "__aexit__", "__await__", "__iter__", "__next__", "__aiter__",
    "__anext__", "__repr__", "__str__", "__format__", "__bytes__", "__hash__", "__bool__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__len__", "__contains__",
    "__getitem__", "__setitem__", "__delitem__", "__missing__", "__call__", "__post_init__",
    "__init_subclass__", "__set_name__", "__get__", "__set__", "__delete__", "__traceback__",
    "__cause__", "__context__", "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__",
    "__isub__", "__mul__", "__rmul__", "__imul__", "__truediv__", "__floordiv__", "__mod__",
    "__neg__", "__pos__", "__abs__", "__int__", "__float__", "__round__", "__index__",
    "__copy__", "__deepcopy__", "__sizeof__", "__reversed__",
})
# Dunders that reach into an object's machinery: fine on the student's own objects (`self`,
# `cls`, `super()`, the submission's classes), a finding on anything else.
OWN_DUNDERS = frozenset({"__dict__", "__setattr__", "__getattr__", "__getattribute__",
                         "__delattr__", "__init__", "__new__"})
# Dunder attributes a submission may assign (a decorator copying a name or a docstring).
ASSIGNABLE_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__module__"})


def policy(module: str, extra: frozenset[str] = frozenset()) -> tuple[bool, frozenset[str] | None]:
    """Whether `module` may be imported, and the attributes it allows (None: every public one)."""
    if module in MODULES:
        return True, MODULES[module]
    if any(part.startswith("_") for part in module.split(".")):
        return False, PUBLIC  # a package's internals or its __main__ (which runs on import)
    if module in extra or any(module.startswith(name + ".") for name in extra):
        return True, PUBLIC
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) + ".*" in MODULES:
            return True, PUBLIC
    return False, PUBLIC
