"""A static audit of every module a submission ships, run in the grader's own process.

The runtime audit hook (`grader.audit_hook`) sees only what CPython audits. The ways of
reaching into the grader that CPython does not audit are visible in the source instead:
walking frames (`f_back`, `f_locals`, `f_globals`), function internals (`__globals__`,
`__code__`, `__closure__`), `__subclasses__()`, `sys.modules`, `globals()`, imports of the
grader, replacing attributes of imported modules and classes (`random.Random.random = ...`,
`threading.Lock = ...`), names and strings of the grader's instrumentation (a program that
behaves only when it sees `__grader_point__`), and code built at run time (`exec`, `eval`,
`compile`, `__import__` and `getattr`/`setattr` of computed strings, which would hide all of
the above from this audit). A correct bank or downloader needs none of these; a finding does
not fail the submission, it withholds the automated score until a person has looked.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from grader import untrusted
from grader.files import read_regular

MAX_FILES = 50
MAX_AUDIT_BYTES = 1_000_000  # as much as the sandbox copies of a submission's main file
MAX_PER_FILE = 20

# Attribute names that give access to other code's frames, functions or tracing.
ATTRIBUTES = {
    "_getframe": "takes an interpreter frame (sys._getframe)",
    "_current_frames": "takes every thread's frame (sys._current_frames)",
    "f_back": "walks interpreter frames (.f_back)",
    "f_locals": "reads another frame's variables (.f_locals)",
    "f_globals": "reads another frame's globals (.f_globals)",
    "f_builtins": "reads a frame's builtins (.f_builtins)",
    "f_code": "reads a frame's code (.f_code)",
    "f_trace": "changes a frame's tracing (.f_trace)",
    "tb_frame": "takes a frame from a traceback (.tb_frame)",
    "gi_frame": "takes a generator's frame (.gi_frame)",
    "cr_frame": "takes a coroutine's frame (.cr_frame)",
    "ag_frame": "takes an async generator's frame (.ag_frame)",
    "__globals__": "reads a function's globals (.__globals__)",
    "__code__": "reads or swaps a function's code (.__code__)",
    "__closure__": "reads a function's closure (.__closure__)",
    "__subclasses__": "enumerates classes (.__subclasses__())",
    "__builtins__": "uses __builtins__",
    "settrace": "installs a trace function (settrace)",
    "setprofile": "installs a profile function (setprofile)",
    "gettrace": "inspects tracing (gettrace)",
    "getprofile": "inspects profiling (getprofile)",
    "monitoring": "uses sys.monitoring",
    "get_objects": "lists every object of the interpreter (gc.get_objects)",
    "get_referrers": "looks up who refers to an object (gc.get_referrers)",
    "get_referents": "looks up what an object refers to (gc.get_referents)",
    "currentframe": "takes an interpreter frame (inspect.currentframe)",
    "getouterframes": "walks interpreter frames (inspect.getouterframes)",
    "getinnerframes": "walks interpreter frames (inspect.getinnerframes)",
    "walk_stack": "walks interpreter frames (traceback.walk_stack)",
    "getclosurevars": "reads a function's globals and closure (inspect.getclosurevars)",
    "walk_tb": "walks traceback frames (traceback.walk_tb)",
    "addaudithook": "installs an audit hook (sys.addaudithook)",
}
# Attributes that are findings only on a given module: `inspect.stack()`, `sys.modules`.
MODULE_ATTRIBUTES = {
    ("inspect", "stack"): "walks interpreter frames (inspect.stack)",
    ("inspect", "trace"): "walks interpreter frames (inspect.trace)",
    ("sys", "modules"): "reaches loaded modules through sys.modules",
    ("sys", "audit"): "raises audit events (sys.audit)",
}
MODULES = {
    "grader": "imports the grader",
    "ctypes": "imports ctypes (raw memory access)",
    "_ctypes": "imports ctypes (raw memory access)",
    "gc": None,  # gc.collect() is harmless; gc.get_objects and friends are listed above
}
DYNAMIC = {"exec", "eval", "compile"}
COMPUTED = {"__import__", "import_module", "getattr", "setattr", "delattr", "attrgetter",
            "methodcaller"}
# Builtins that, passed around as values (`g = getattr`), would hide a computed call from this audit.
INDIRECT = {"getattr", "setattr", "delattr", "__import__", "eval", "exec", "compile", "globals",
            "vars", "locals"}
# Calls through which an attribute of an imported object is replaced.
SETTERS = {"setattr", "delattr", "__setattr__", "__delattr__"}
GRADER_TEXT = re.compile(r"__grader|\bgrader\.(?:child|channel|registry|probing|preempt|checks|"
                         r"sandbox|grading|audit)|/proc/(?:self|\d+|thread-self)/mem|^grader$")


@dataclass(frozen=True)
class Finding:
    file: str  # as the student named it, relative to the submission's folder
    line: int
    what: str

    def text(self) -> str:
        """The finding for reports: the file name is the student's, so it is cleaned here (a
        name that is not UTF-8, or carries escape codes, must not reach a terminal or a CSV)."""
        return f"{untrusted.text(self.file, 200)} line {self.line}: {self.what}"


def _root(node: ast.AST) -> ast.AST:
    """The innermost object of `a.b[c].d` (here `a`)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class _Auditor(ast.NodeVisitor):
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.imported: set[str] = set()  # names bound to imported modules, classes, functions
        self.called: set[int] = set()  # id() of the Name nodes that are called directly
        self.found: dict[tuple[int, str], Finding] = {}

    def flag(self, node: ast.AST, what: str) -> None:
        line = getattr(node, "lineno", 0)
        self.found.setdefault((line, what), Finding(self.filename, line, what))

    # -- imports ------------------------------------------------------------------------
    def _imports(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if MODULES.get(top):
            self.flag(node, f"{MODULES[top]} ({module})")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imports(node, alias.name)
            self.imported.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._imports(node, node.module)
            for alias in node.names:
                self.imported.add(alias.asname or alias.name)
                if (node.module, alias.name) in MODULE_ATTRIBUTES:
                    self.flag(node, MODULE_ATTRIBUTES[(node.module, alias.name)])
                elif alias.name in ATTRIBUTES:
                    self.flag(node, ATTRIBUTES[alias.name])

    # -- reading what CPython does not audit ----------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ATTRIBUTES:
            self.flag(node, ATTRIBUTES[node.attr])
        base = node.value
        base_name = base.id if isinstance(base, ast.Name) else base.attr \
            if isinstance(base, ast.Attribute) else ""
        if (base_name, node.attr) in MODULE_ATTRIBUTES:
            self.flag(node, MODULE_ATTRIBUTES[(base_name, node.attr)])
        if node.attr == "__dict__" and self._is_imported(base):
            self.flag(node, f"reads the namespace of the imported {ast.unparse(base)[:60]} (__dict__)")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__" or node.id.startswith("__grader"):
            self.flag(node, ATTRIBUTES.get(node.id, f"uses the grader's name {node.id}"))
        elif node.id in INDIRECT and id(node) not in self.called and isinstance(node.ctx, ast.Load):
            self.flag(node, f"passes the builtin {node.id} around as a value")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if GRADER_TEXT.search(node.value):
                self.flag(node, "names the grader's internals in a string")
            elif node.value in ATTRIBUTES:
                self.flag(node, ATTRIBUTES[node.value] + " by name")

    # -- calls ------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self.called.add(id(node.func))
        name = _call_name(node)
        first = node.args[0] if node.args else None
        computed = first is not None and not (isinstance(first, ast.Constant)
                                              and isinstance(first.value, str))
        if name in DYNAMIC and isinstance(node.func, ast.Name):
            self.flag(node, f"runs code built at run time ({name})")
        elif name == "globals" and isinstance(node.func, ast.Name):
            self.flag(node, "reads or changes its module's variables through globals()")
        elif name == "vars" and isinstance(node.func, ast.Name) and first is not None \
                and self._is_imported(first):
            self.flag(node, f"reads the namespace of the imported {ast.unparse(first)[:60]} (vars)")
        elif name in COMPUTED:
            attr = node.args[1] if len(node.args) > 1 else None
            if name in ("getattr", "setattr", "delattr") and isinstance(node.func, ast.Name):
                if attr is not None and not (isinstance(attr, ast.Constant)
                                             and isinstance(attr.value, str)):
                    self.flag(node, f"{name} with a name computed at run time")
            elif name in ("attrgetter", "methodcaller"):
                if computed:
                    self.flag(node, f"{name} with a name computed at run time")
            elif computed:
                self.flag(node, f"imports a module whose name is computed at run time ({name})")
            elif first is not None:
                self._imports(node, str(first.value))  # __import__("ctypes") is an import too
        if name in SETTERS and first is not None and self._is_imported(first):
            self.flag(node, f"replaces an attribute of the imported {ast.unparse(first)[:60]}")
        self.generic_visit(node)

    # -- replacing attributes of imported modules and classes ------------------------------
    def _is_imported(self, node: ast.AST) -> bool:
        root = _root(node)
        if isinstance(root, ast.Name):
            return root.id in self.imported
        if isinstance(root, ast.Call):
            return _call_name(root) in ("getattr", "vars", "globals", "__import__", "import_module",
                                        "type")
        return False

    def _targets(self, node: ast.AST, targets: list[ast.AST]) -> None:
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, (ast.Attribute, ast.Subscript)) and self._is_imported(leaf):
                    self.flag(node, f"replaces {ast.unparse(leaf)[:60]}, part of an imported module")
                    break

    def visit_Assign(self, node: ast.Assign) -> None:
        self._targets(node, node.targets)
        if isinstance(node.value, (ast.Name, ast.Attribute)) and self._is_imported(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.imported.add(target.id)  # an alias: R = random.Random
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._targets(node, [node.target])
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._targets(node, [node.target])
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        self._targets(node, node.targets)
        self.generic_visit(node)


def audit_source(source: str, filename: str) -> list[Finding]:
    """Findings in one module's source, in line order; a file that does not parse has none
    (the import reports the syntax error)."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    auditor = _Auditor(filename)
    try:
        auditor.visit(tree)
    except RecursionError:
        auditor.flag(tree, "nested too deeply to audit")
    return sorted(auditor.found.values(), key=lambda f: (f.line, f.what))[:MAX_PER_FILE]


def audit_submission(path: Path) -> list[Finding]:
    """Every module the submission ships: its file and the .py files beside it (the sandbox
    copies those too, so the student can import them)."""
    files = [path] + sorted(p for p in path.parent.glob("*.py") if p != path)
    findings: list[Finding] = []
    for file in files[:MAX_FILES]:
        data = read_regular(file.resolve() if file == path else file, MAX_AUDIT_BYTES)
        if data is None:  # a symlink, a FIFO, a device, too big: the sandbox does not copy it either
            continue
        findings += audit_source(data.decode("utf-8-sig", errors="replace"), file.name)
    return findings
