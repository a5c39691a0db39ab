"""Report formats, registered by name; each lives in its own module of this package.

Modules here are discovered on import, so a new format is one new file with a `@report` function.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

from grader.grading import GradeReport

Renderer = Callable[[GradeReport], str]
FORMATS: dict[str, Renderer] = {}


def report(name: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        FORMATS[name] = fn
        return fn

    return register


def load_formats() -> dict[str, Renderer]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return FORMATS
