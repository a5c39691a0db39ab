"""Grade many staged submissions at once, each in its own sandbox, answering from the cache first.

Threads, not processes: `grade()` spends its time waiting on its sandboxed child, which does the
work and enforces the submission's time limits, so N threads keep N children busy. A slow or
hostile submission holds one worker for at most its own limits while the others go on. Each
result is cached as soon as it exists, so an interrupted batch resumes where it stopped.
"""
from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from grader.batch.cache import Cache
from grader.batch.progress import Progress
from grader.grading import grade
from grader.results import GradeReport
from grader.rubric import Rubric


@dataclass(frozen=True)
class Job:
    key: str
    task: str
    path: Path  # the staged main file
    count: int = 1  # submissions with this exact content: all are answered by this one grading


@dataclass
class Outcome:
    report: GradeReport | None
    cached: bool = False
    error: str = ""  # the grader itself failed (never the student's fault)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.report is None or self.report.error is not None


def _grade_one(rubric: Rubric, job: Job, cache: Cache) -> Outcome:
    """Grade and cache at once, in the worker: a grading that ends after Ctrl-C is kept too."""
    started = time.monotonic()
    try:
        report = grade(rubric, job.task, job.path)
    except Exception as exc:  # a grader bug must cost one submission, not the batch
        return Outcome(None, error=f"internal grader error ({type(exc).__name__}: {exc}); "
                                   "regrade this submission or report it",
                       seconds=time.monotonic() - started)
    cache.put(job.key, report)
    return Outcome(report, seconds=time.monotonic() - started)


def from_cache(jobs: list[Job], cache: Cache, force: bool, progress: Progress
               ) -> tuple[dict[str, Outcome], list[Job]]:
    """The outcomes the cache answers (none with `force`), and the jobs left to grade."""
    outcomes: dict[str, Outcome] = {}
    todo: list[Job] = []
    progress.start()
    for job in jobs:
        report = None if force else cache.get(job.key)
        if report is not None:
            outcomes[job.key] = Outcome(report, cached=True)
            progress.advance(job.count, failed=outcomes[job.key].failed, cached=True)
        else:
            todo.append(job)
    return outcomes, todo


def run_jobs(rubric: Rubric, jobs: list[Job], cache: Cache, workers: int, force: bool,
             progress: Progress) -> dict[str, Outcome]:
    """Outcome per job key. Cache hits are answered at once; the rest run `workers` at a time."""
    outcomes, todo = from_cache(jobs, cache, force, progress)
    if not todo:
        return outcomes
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grade")
    pending: dict[Future[Outcome], Job] = {pool.submit(_grade_one, rubric, job, cache): job for job in todo}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                outcome = future.result()
                outcomes[job.key] = outcome
                progress.advance(job.count, failed=outcome.failed, seconds=outcome.seconds)
    finally:
        # On Ctrl-C: drop what has not started; what runs finishes within its own limits and
        # is cached like everything finished before.
        pool.shutdown(wait=not pending, cancel_futures=True)
    return outcomes
