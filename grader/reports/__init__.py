"""Report formats for one submission, registered by name; each lives in its own module here.

Modules here are discovered on import, so a new format is one new file with a `@report`
function taking the report and how to render it (for whom, with colour or not). What a reader
sees is decided by `grader.presentation`, never by a format; what reaches the reader is cleaned
by the format where it writes, with the function of its kind in `grader.reports.clean`.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from grader.results import GradeReport
from grader.presentation import STAFF


@dataclass(frozen=True)
class RenderOptions:
    audience: str = STAFF  # grader.presentation.SELF_CHECK, FEEDBACK or STAFF
    colour: bool = False  # ANSI colour (a terminal that wants it)


Renderer = Callable[[GradeReport, RenderOptions], str]
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
