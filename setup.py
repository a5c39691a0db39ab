"""Build hook: ship the repository's rubric.yaml inside the package.

`rubric.yaml` stays at the repository root, where instructors edit it; every build (wheel,
sdist -> wheel, `pip install git+URL`) copies it to `grader/rubric.yaml` so an installed grader
has its default rubric. A source checkout (editable install, tests) reads the root file itself
(`grader.rubric.DEFAULT_RUBRIC`). Everything else is in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithRubric(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "grader" / "rubric.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "rubric.yaml", target)


setup(cmdclass={"build_py": BuildWithRubric})
