"""A static audit of every module a submission ships, run in the grader's own process.

The runtime audit hook (`grader.sandbox.audit_hook`) sees only what CPython audits; the rest is visible
in the source. The audit is an allow-list (`grader.submission.audit_policy`): a submission may import the
modules a bank or downloader needs and use their public names (only a few of `os`, `sys` and
`gc`), read the usual dunders, and reflect (`getattr`/`setattr` with computed names,
`object.__setattr__`, `vars`, `__dict__`) on its own objects. Anything else is a finding: an
import outside the list (`pickle`, `code`, `pkgutil`, `importlib`, `inspect`, `ctypes`, the
grader), `getattr(sys, "modules")` as much as `sys.modules`, a private name of a module or of an
object that is not the submission's (`lock._scheduler`), machinery dunders on such objects
(`object.__getattribute__(x, "f_" + "back")`), a module reached through another
(`logging.sys.modules`), the environment (`os.environ`), and strings naming the grader or the
sandbox (in `bytes` too: a pickle). The deny-list of frame and tracing names stays, for its
precise messages. A finding does not fail the submission: it withholds the automated score
until a person has looked (`GradeReport.needs_review`).
"""
from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import re
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.probes import syntax
from grader.sandbox import untrusted
from grader.submission.audit_policy import ASSIGNABLE_DUNDERS, DUNDERS, OWN_DUNDERS, SYS_PATH_CHANGES, policy
from grader.submission.files import read_regular

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
    "currentframe": "takes an interpreter frame (currentframe)",
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
TASK_WORDS = "bank or downloader"
IMPORT_FINDING = ("imports {module}, which a {task} does not need (if this task needs it, the "
                  "rubric's allowed_imports lists it)")
# Dunders of a module a submission may read (`__name__ == "__main__"`, `requests.__version__`).
MODULE_DUNDERS = frozenset({"__name__", "__file__", "__version__", "__doc__"})
# Where a program would look to tell the grader's sandbox from a plain run: its environment
# variables, mounts, the process tree, the boot copy and working folder of the sandbox.
SANDBOX_TEXT = re.compile(r"^/proc(?:/|$)|^/sys/|mountinfo|/\.dockerenv|\bbwrap\b|bubblewrap|"
                          r"GRADER_|grader-boot|^/tmp/work|PYTHONHASHSEED|PYTHONPATH|MALLOC_ARENA")
GRADER_TEXT = re.compile(r"__grader|grader\.(?:child|channel|registry|probing|preempt|checks|"
                         r"sandbox|grading|audit|probes|submission\.audit)|/proc/(?:self|\d+|thread-self)/mem|^grader$")


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


def _text(node: ast.AST | None) -> str | None:
    """The string a node spells out, when it is a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _private(name: str) -> bool:
    return name.startswith("_") and not _dunder(name)


@dataclass(frozen=True)
class Kind:
    """What an expression is, as far as the source tells: a module (by its import name), one of
    the submission's own objects (`self`, `cls`, `super()`, its classes and their instances),
    or anything else."""

    module: str | None = None
    own: bool = False
    library: bool = False  # made by an imported module (`threading.Lock()`), held where it was put


LIBRARY = Kind(library=True)


OTHER = Kind()
OWN = Kind(own=True)


class Names:
    """What the submission defines itself, over all its files: the attribute names it assigns or
    defines (so `account._balance` is its own state, `lock._scheduler` is not), its classes,
    the names bound to instances of them, and its modules."""

    def __init__(self, trees: list[ast.AST], modules: set[str]) -> None:
        self.attributes: set[str] = set()
        self.classes: set[str] = set()
        self.instances: set[str] = set()
        # names and attributes that hold objects an imported module made (`self._lock =
        # threading.Lock()`): their private names are the library's, whatever else the
        # submission binds under the same name
        self.library: set[str] = set()
        self.modules = modules
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    self.classes.add(node.name)
                    for item in node.body:
                        for target in _bound(item):
                            self.attributes.add(target)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.attributes.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    self.attributes.add(node.attr)
                elif isinstance(node, ast.Call) and _call_name(node) in ("setattr", "__setattr__"):
                    for arg in node.args[1:2]:
                        if _text(arg) is not None:
                            self.attributes.add(str(_text(arg)))
            for item in getattr(tree, "body", []):
                self.attributes.update(_bound(item))  # a helper module's names: helper._tool
        for tree in trees:
            imported = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
                        if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
            for node in ast.walk(tree):
                if not isinstance(node, (ast.Assign, ast.AnnAssign)) or not isinstance(node.value, ast.Call):
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                func = node.value.func
                if isinstance(func, ast.Name) and func.id in self.classes:
                    self.instances.update(t.id for t in targets if isinstance(t, ast.Name))
                root = _root(func)
                if isinstance(root, ast.Name) and root.id in imported and root.id not in self.classes:
                    self.library.update(t.id if isinstance(t, ast.Name) else t.attr for t in targets
                                        if isinstance(t, (ast.Name, ast.Attribute)))


def _bound(item: ast.AST) -> list[str]:
    """Names a statement of a class or module body binds (methods, fields, `__slots__` entries)."""
    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [item.name]
    names: list[str] = []
    targets = item.targets if isinstance(item, ast.Assign) else \
        [item.target] if isinstance(item, (ast.AnnAssign, ast.AugAssign)) else []
    for target in targets:
        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        if isinstance(target, ast.Name) and target.id == "__slots__":
            value = item.value  # type: ignore[attr-defined]
            names += [str(c.value) for c in ast.walk(value) if isinstance(c, ast.Constant)]
    return names


@functools.lru_cache(maxsize=4096)
def _module_attribute(module: str, attr: str) -> str | None:
    """The import name of `module.attr` when that is a module itself (`os.path`, `logging.sys`,
    `requests.utils.os`): resolved in the grader's own process, for modules the policy allows
    (the machine's standard library and `requests`, never the student's files)."""
    if not policy(module)[0] or attr.startswith("_"):
        return None  # only what the allow-list lets a submission import is ever imported here
    try:
        value = getattr(importlib.import_module(module), attr, None)
    except Exception:  # not installed here, or it fails to import: nothing to resolve
        return None
    if not isinstance(value, types.ModuleType):
        return None
    dotted = f"{module}.{attr}"
    return dotted if sys.modules.get(dotted) is value else value.__name__


class _Auditor(ast.NodeVisitor):
    def __init__(self, filename: str, names: Names, allowed: frozenset[str]) -> None:
        self.filename = filename
        self.names = names
        self.allowed = allowed
        self.imported: set[str] = set()  # names bound to imported modules, classes, functions
        self.aliases: dict[str, str] = {}  # names bound to modules -> the module's import name
        self.called: set[int] = set()  # id() of the Name nodes that are called directly
        self.consumed: set[int] = set()  # id() of module names used as an attribute's base
        self.permitted: set[int] = set()  # id() of attribute nodes allowed by their use (sys.path.append)
        self.own: list[set[str]] = [set()]  # per function: `self`, `cls`
        self.found: dict[tuple[int, str], Finding] = {}

    def flag(self, node: ast.AST, what: str) -> None:
        line = getattr(node, "lineno", 0)
        self.found.setdefault((line, what), Finding(self.filename, line, what))

    def flagged(self, node: ast.AST) -> bool:
        return any(line == getattr(node, "lineno", 0) for line, _ in self.found)

    # -- scopes: which names are the submission's own objects ------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = item.args.posonlyargs + item.args.args
                first = {params[0].arg} if params else set()
                self._function(item, first)
            else:
                self.visit(item)
        for expr in node.bases + node.decorator_list + [k.value for k in node.keywords]:
            self.visit(expr)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._function(node, set())

    visit_AsyncFunctionDef = visit_FunctionDef

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, own: set[str]) -> None:
        self.own.append(own | (self.own[-1] if len(self.own) > 1 else set()))
        try:
            self.generic_visit(node)
        finally:
            self.own.pop()

    def kind(self, node: ast.AST) -> Kind:
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return Kind(module=self.aliases[node.id])
            if node.id in self.own[-1] or node.id in self.names.classes \
                    or node.id in self.names.instances:
                return OWN
            return LIBRARY if node.id in self.names.library else OTHER
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if isinstance(node.func, ast.Name) and (name == "super" or name in self.names.classes):
                return OWN
            if self.kind(node.func).module is not None or (
                    isinstance(node.func, ast.Name) and node.func.id in self.imported):
                return LIBRARY  # threading.Lock(), Lock()
            if name == "type" and isinstance(node.func, ast.Name) and len(node.args) == 1 \
                    and self.kind(node.args[0]).own:
                return OWN
            return OTHER
        if isinstance(node, ast.Attribute):
            base = self.kind(node.value)
            if base.module is not None and not _private(node.attr) and not _dunder(node.attr):
                inner = _module_attribute(base.module, node.attr)
                if inner is not None:
                    return Kind(module=inner)
            return LIBRARY if node.attr in self.names.library else OTHER
        return OTHER

    # -- imports ------------------------------------------------------------------------
    def _imports(self, node: ast.AST, module: str) -> bool:
        """Flag an import outside the allow-list; True when it is allowed."""
        top = module.split(".")[0]
        if MODULES.get(top):
            self.flag(node, f"{MODULES[top]} ({module})")
            return False
        if top in self.names.modules:
            return True  # one of the submission's own files
        allowed, _ = policy(module, self.allowed)
        if not allowed:
            self.flag(node, IMPORT_FINDING.format(module=module, task=TASK_WORDS))
        return allowed

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            allowed = self._imports(node, alias.name)
            bound = alias.asname or alias.name.split(".")[0]
            self.imported.add(bound)
            if allowed and alias.name.split(".")[0] not in self.names.modules:
                self.aliases[bound] = alias.name if alias.asname else alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            for alias in node.names:
                if (node.module or alias.name).split(".")[0] not in self.names.modules:
                    self.flag(node, f"imports {'.' * node.level}{node.module or alias.name} "
                                    "relative to a package the submission does not ship")
            return
        if not node.module:
            return
        allowed = self._imports(node, node.module)
        for alias in node.names:
            bound = alias.asname or alias.name
            self.imported.add(bound)
            if (node.module, alias.name) in MODULE_ATTRIBUTES:
                self.flag(node, MODULE_ATTRIBUTES[(node.module, alias.name)])
            elif alias.name in ATTRIBUTES:
                self.flag(node, ATTRIBUTES[alias.name])
            elif allowed and node.module.split(".")[0] not in self.names.modules:
                if alias.name == "*":
                    if policy(node.module, self.allowed)[1] is not None:
                        self.flag(node, f"imports every name of {node.module} (*)")
                    continue
                self._module_rule(node, node.module, alias.name, "imports")
                inner = _module_attribute(node.module, alias.name)
                if inner is None and policy(f"{node.module}.{alias.name}", self.allowed)[0]:
                    inner = _submodule(node.module, alias.name)
                if inner is not None:
                    self.aliases[bound] = inner

    # -- attributes -------------------------------------------------------------------------
    def _module_rule(self, node: ast.AST, module: str, attr: str, verb: str = "uses") -> None:
        """`module.attr`: a private or machinery name, or a name outside the module's allow-list."""
        if attr in ATTRIBUTES or (module, attr) in MODULE_ATTRIBUTES:
            return  # named by its own finding
        shown = f"{module}.{attr}"
        allowed = policy(module, self.allowed)[1]
        if allowed is not None and attr in allowed:
            return
        if _dunder(attr):
            if attr not in MODULE_DUNDERS:
                self.flag(node, f"{verb} {shown}, the machinery of a module")
            return
        if _private(attr):
            self.flag(node, f"{verb} {shown}, an internal of {module}")
            return
        if allowed is not None:
            self.flag(node, f"{verb} {shown}, which a {TASK_WORDS} does not need")
            return
        inner = _module_attribute(module, attr)
        if inner is not None and inner.split(".")[0] not in self.names.modules \
                and not policy(inner, self.allowed)[0]:
            self.flag(node, f"reaches the module {inner} through {shown}")

    def _attribute_rule(self, node: ast.AST, base: ast.AST, attr: str, store: bool) -> None:
        """One attribute access (`x.attr`, or `getattr(x, "attr")`), whatever spelled it."""
        if attr in ATTRIBUTES:
            self.flag(node, ATTRIBUTES[attr])
            return
        kind = self.kind(base)
        if kind.module is not None:
            if (kind.module, attr) in MODULE_ATTRIBUTES:
                self.flag(node, MODULE_ATTRIBUTES[(kind.module, attr)])
            elif not store:
                self._module_rule(node, kind.module, attr)
            return
        if _dunder(attr):
            if store and attr not in ASSIGNABLE_DUNDERS \
                    and not (kind.own and attr in DUNDERS and attr != "__class__"):
                self.flag(node, f"replaces .{attr} of an object")
            elif not store and attr not in DUNDERS and not (kind.own and attr in OWN_DUNDERS):
                self.flag(node, f"reads .{attr}, the machinery of an object that is not its own")
        elif _private(attr) and not store and not kind.own \
                and (kind.library or attr not in self.names.attributes):
            self.flag(node, f"reads .{attr}, an internal of an object that is not its own")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if id(node) in self.permitted:
            self.consumed.add(id(node.value))
            self.generic_visit(node)
            return
        self._attribute_rule(node, node.value, node.attr, isinstance(node.ctx, (ast.Store, ast.Del)))
        self.consumed.add(id(node.value))
        if node.attr == "__dict__" and self._is_imported(node.value):
            self.flag(node, f"reads the namespace of the imported {ast.unparse(node.value)[:60]} (__dict__)")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__" or node.id.startswith("__grader"):
            self.flag(node, ATTRIBUTES.get(node.id, f"uses the grader's name {node.id}"))
        elif node.id in INDIRECT and id(node) not in self.called and isinstance(node.ctx, ast.Load):
            self.flag(node, f"passes the builtin {node.id} around as a value")
        elif node.id in self.aliases and isinstance(node.ctx, ast.Load) and id(node) not in self.consumed:
            module = self.aliases[node.id]
            if policy(module, self.allowed)[1] is not None:
                self.flag(node, f"passes the module {module} around as a value")

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            if GRADER_TEXT.search(value):
                self.flag(node, "names the grader's internals in a string")
            elif SANDBOX_TEXT.search(value):
                self.flag(node, "names a detail of the machine it runs on (the sandbox's "
                                "environment, mounts or processes) in a string")
            elif value in ATTRIBUTES:
                self.flag(node, ATTRIBUTES[value] + " by name")

    # -- calls ------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self.called.add(id(node.func))
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SYS_PATH_CHANGES \
                and isinstance(func.value, ast.Attribute) and func.value.attr == "path" \
                and self.kind(func.value.value).module == "sys":
            self.permitted.add(id(func.value))
        name = _call_name(node)
        first = node.args[0] if node.args else None
        computed = first is not None and _text(first) is None
        plain = isinstance(node.func, ast.Name)
        if name in DYNAMIC and plain:
            self.flag(node, f"runs code built at run time ({name})")
        elif name == "globals" and plain:
            self.flag(node, "reads or changes its module's variables through globals()")
        elif name == "vars" and plain and first is not None and not self.kind(first).own:
            what = "imported " if self._is_imported(first) else ""
            self.flag(node, f"reads the namespace of the {what}{ast.unparse(first)[:60]} (vars)")
        elif name == "breakpoint" and plain:
            self.flag(node, "starts the debugger (breakpoint)")
        elif name in ("getattr", "setattr", "delattr", "hasattr") and plain and first is not None:
            self._reflect(node, first, node.args[1] if len(node.args) > 1 else None, name)
        elif name in OWN_DUNDERS and isinstance(node.func, ast.Attribute) and first is not None \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in ("object", "type"):
            # object.__setattr__(self, "x", v): the attribute named is the one accessed
            self.consumed.add(id(node.func))
            if not self.kind(first).own:
                self.flag(node, f"{node.func.value.id}.{name} on an object that is not its own")
            elif len(node.args) > 1 and _text(node.args[1]) is not None:
                self._attribute_rule(node, first, str(_text(node.args[1])), name != "__getattribute__")
        elif name in COMPUTED and name not in ("getattr", "setattr", "delattr"):
            if name in ("attrgetter", "methodcaller"):
                if computed:
                    self.flag(node, f"{name} with a name computed at run time")
                for arg in node.args if name == "attrgetter" else node.args[:1]:
                    for attr in (_text(arg) or "").split("."):
                        if attr:  # on whatever object it is given later: not the submission's own
                            self._attribute_rule(node, ast.Constant(None), attr, False)
            elif computed:
                self.flag(node, f"imports a module whose name is computed at run time ({name})")
            elif first is not None:
                self._imports(node, str(_text(first)))  # __import__("ctypes") is an import too
        if name in SETTERS and first is not None and self._is_imported(first):
            self.flag(node, f"replaces an attribute of the imported {ast.unparse(first)[:60]}")
        if isinstance(node.func, ast.Attribute) and id(node.func) in self.consumed \
                and name in OWN_DUNDERS:
            self.consumed.add(id(node.func.value))
            for arg in node.args:
                self.visit(arg)
            for keyword in node.keywords:
                self.visit(keyword)
            return
        self.generic_visit(node)

    def _reflect(self, node: ast.Call, obj: ast.AST, attr: ast.AST | None, name: str) -> None:
        """getattr/setattr/delattr/hasattr: a literal name is that attribute's access; a computed
        one is fine on the submission's own objects only."""
        self.consumed.add(id(obj))
        text = _text(attr)
        if text is not None:
            self._attribute_rule(node, obj, text, name in ("setattr", "delattr"))
        elif attr is not None and name != "hasattr" and not self.kind(obj).own:
            self.flag(node, f"{name} with a name computed at run time")

    # -- replacing attributes of imported modules and classes ------------------------------
    def _is_imported(self, node: ast.AST) -> bool:
        root = _root(node)
        if isinstance(root, ast.Name):
            return root.id in self.imported
        if isinstance(root, ast.Call):
            return _call_name(root) in ("getattr", "vars", "globals", "__import__", "import_module",
                                        "type")
        return False

    def _targets(self, node: ast.AST, targets: Sequence[ast.AST]) -> None:
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, (ast.Attribute, ast.Subscript)) and self._is_imported(leaf):
                    self.flag(node, f"replaces {ast.unparse(leaf)[:60]}, part of an imported module")
                    break

    def visit_Assign(self, node: ast.Assign) -> None:
        self._targets(node, node.targets)
        value = node.value
        if isinstance(value, (ast.Name, ast.Attribute)) and self._is_imported(value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.imported.add(target.id)  # an alias: R = random.Random
                    module = self.kind(value).module
                    if module is not None:
                        self.aliases[target.id] = module
                        self.consumed.add(id(value) if isinstance(value, ast.Name) else 0)
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


def _submodule(package: str, name: str) -> str | None:
    """`from concurrent import futures`: the submodule's import name, when it is one."""
    if not policy(f"{package}.{name}")[0]:
        return None
    try:
        return f"{package}.{name}" if importlib.util.find_spec(f"{package}.{name}") else None
    except (ImportError, ValueError, AttributeError):
        return None


def _parse(source: str, filename: str) -> ast.AST | None:
    try:
        return syntax.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def audit_source(source: str, filename: str, allowed: frozenset[str] = frozenset(),
                 names: Names | None = None, tree: ast.AST | None = None) -> list[Finding]:
    """Findings in one module's source, in line order; a file that does not parse has none
    (the import reports the syntax error). `tree`: the source already parsed."""
    tree = tree or _parse(source, filename)
    if tree is None:
        return []
    names = names or Names([tree], set())
    auditor = _Auditor(filename, names, allowed)
    try:
        auditor.visit(tree)
    except RecursionError:
        auditor.flag(tree, "nested too deeply to audit")
    return sorted(auditor.found.values(), key=lambda f: (f.line, f.what))[:MAX_PER_FILE]


def audit_submission(path: Path, allowed_imports: frozenset[str] = frozenset()) -> list[Finding]:
    """Every module of the submission's that its run can execute: its file and the .py files
    beside it that it imports (the sandbox copies those). `allowed_imports` are the rubric's
    modules beyond the policy's (`grader.submission.audit_policy`)."""
    files = [path] + sorted(p for p in path.parent.glob("*.py") if p != path)
    sources: list[tuple[str, str]] = []
    for file in files[:MAX_FILES]:
        data = read_regular(file.resolve() if file == path else file, MAX_AUDIT_BYTES)
        if data is None:  # a symlink, a FIFO, a device, too big: the sandbox does not copy it either
            continue
        sources.append((file.name, data.decode("utf-8-sig", errors="replace")))
    texts = dict(sources)
    trees: dict[str, ast.AST | None] = {}

    def tree_of(name: str) -> ast.AST | None:
        """Parsed when first reached: a file its run cannot execute is never audited, so it is
        not parsed either (a folder of many .py files, such as a corpus, costs its own file)."""
        if name not in trees:
            trees[name] = _parse(texts[name], name) if name in texts else None
        return trees[name]

    modules = {name[:-3] for name in texts if name.endswith(".py")}
    reached = _reached(path.name, tree_of, modules)
    mine = [name for name in texts if name in reached]  # in file order, as before
    names = Names([t for t in map(tree_of, mine) if t is not None], modules)
    findings: list[Finding] = []
    for name in mine:
        findings += audit_source(texts[name], name, frozenset(allowed_imports), names,
                                 tree_of(name))
    return findings


def _reached(main: str, tree_of: Callable[[str], ast.AST | None], modules: set[str]) -> set[str]:
    """The submission's file and the files beside it that it imports, directly or through each
    other: what its run can execute (a module reached any other way, by a computed name, exec or
    a subprocess, needs what the audit flags in the file that does it)."""
    reached, todo = {main}, [main]
    while todo:
        tree = tree_of(todo.pop())
        for node in ast.walk(tree) if tree is not None else ():
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] + [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                file = name.split(".")[0] + ".py"
                if name.split(".")[0] in modules and file not in reached:
                    reached.add(file)
                    todo.append(file)
    return reached


def imports_one_of(reason: str, modules: set[str]) -> bool:
    """`reason` is this audit's finding of an import of one of `modules` or of their submodules
    (for a reason said better elsewhere: a module the run found missing)."""
    found = _IMPORT_REASON.search(reason)
    return found is not None and found.group(1).split(".")[0] in modules \
        and reason.endswith(IMPORT_FINDING.format(module=found.group(1), task=TASK_WORDS))


_IMPORT_REASON = re.compile(r" line \d+: imports ([\w.]+), which a ")
