"""User-facing errors.

Anything a user can get wrong (a rubric, a path, a flag) is raised as a `GraderError` whose text
is one line naming the file and the fix; the CLI prints it without a traceback.
"""


class GraderError(Exception):
    """A problem with the grader's input, reported to the user as one line."""
