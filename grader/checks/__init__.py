"""Check modules: importing this package registers every probe and judge.

One package per assignment (`bank/`, `downloader/`), each with its harness (how its probes run
the student's code in the child) and modules named for what they judge; `observations` holds the
type of each probe's data, `pytest_file` runs an instructor's own tests. Every module of the
tree is imported here, so a new check module registers by existing.
"""
import importlib
import pkgutil
from typing import Iterable


def _register(path: Iterable[str], prefix: str) -> None:
    for info in pkgutil.iter_modules(path):
        module = importlib.import_module(prefix + info.name)
        if info.ispkg:
            _register(module.__path__, module.__name__ + ".")


_register(__path__, __name__ + ".")
