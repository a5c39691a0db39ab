"""Grade a class on a Dask cluster: `grader batch --cluster ADDRESS` or `--workers N`.

The client (this process) keeps everything that knows the class: discovery, staging, the cache
and every output. A worker gets one `RemoteGrading` by value (the staged folder's file names and
bytes, the task, the parsed rubric, the seed, the engine it must run: never a path on the
client), writes the files into a private temporary folder, grades them in its own sandbox, and
answers with one JSON text: the grade record in the form the cache stores. So the client only
decodes JSON; nothing a grading produced is unpickled here.

The fault tolerance is Dask's, not rebuilt: each grading's Dask key is its cache key (grading is
idempotent, so a resubmitted key is the same work and Dask runs it once); a worker that dies
mid-grading loses nothing, the scheduler runs its tasks elsewhere; a grading whose worker dies
twice (scheduler setting `allowed-failures: 1`, which the local cluster sets and the README's
recipes set) comes back as `KilledWorker` and is reported for that student alone.

`distributed` is an optional extra (`pip install 'grader[cluster]'`), imported only here and
only when a cluster is asked for.
"""
from __future__ import annotations

import json
import logging
import pickle
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from grader.batch.cache import Cache, engine_version
from grader.batch.progress import Progress
from grader.batch.runner import Job, Outcome, from_cache
from grader.errors import GraderError
from grader.results import CodecError, report_from_dict, report_to_dict
from grader.rubric import Rubric

if TYPE_CHECKING:
    from distributed import Client, Future

INSTALL_HINT = "pip install 'grader[cluster]'"
# Scheduler settings a grading cluster wants (README, "Grading on a cluster"): a task whose
# worker died twice is failed, not retried forever; a worker is sent only the tasks it runs, so
# a worker's death counts against the gradings it was running and no queued neighbour.
SCHEDULER_CONFIG = {"distributed.scheduler.allowed-failures": 1,
                    "distributed.scheduler.worker-saturation": 1.0}
# A local cluster's workers: no statistical profiler sampling the grading thread every 10 ms
# (nobody reads it here; it takes CPU from the sandboxed children).
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
KILLED_TWICE = ("the grading killed its worker twice (a Dask worker died while grading it, then "
                "again on another); needs review: grade it alone with grader check")
CONNECT_SECONDS = 20


@dataclass(frozen=True)
class ClusterTarget:
    """Where the gradings go: a running scheduler's address, or a local cluster of N processes."""

    address: str | None = None
    workers: int = 0

    @property
    def flag(self) -> str:
        return f"--cluster {self.address}" if self.address else f"--workers {self.workers}"


@dataclass(frozen=True)
class RemoteGrading:
    """Everything one grading needs, by value: what crosses from the client to a worker."""

    key: str  # the cache key, also the Dask key
    task: str
    main: str  # the main file's name among `files`, as the rubric names it
    files: tuple[tuple[str, bytes], ...]  # the staged folder: (file name, content)
    rubric: Rubric  # parsed on the client: an instructor's pytest files travel inside it
    engine: str  # the client's engine version; a worker running another refuses
    seed: int | None = None  # None: the default seed, from the file's content
    allow_weak_isolation: bool = False


def distributed_module() -> Any:
    """`distributed`, or one line saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise GraderError(f"grading on a Dask cluster needs Dask distributed, which is not installed: "
                          f"{INSTALL_HINT}") from None
    return distributed


def remote_grading(job: Job, rubric: Rubric, engine: str, allow_weak: bool) -> RemoteGrading:
    """Read the staged folder into a `RemoteGrading` (the staged folder holds this student's
    files only, see grader.batch.stage)."""
    folder = job.path.parent
    files = tuple((p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file())
    return RemoteGrading(job.key, job.task, job.path.name, files, rubric, engine,
                         allow_weak_isolation=allow_weak)


def dask_key(cache_key: str) -> str:
    """`grade-<cache key>`: Dask groups tasks by the prefix (its dashboard shows "grade")."""
    return f"grade-{cache_key}"


# ---- on the worker -------------------------------------------------------------------------

def _safe_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\0" not in name


def _refusal(job: RemoteGrading) -> str | None:
    """Why this worker must not grade `job` (another engine, a sandbox too weak), or None."""
    from grader.sandbox import isolation_level, keeps_students_apart

    mine = engine_version()
    if mine != job.engine:
        return (f"worker {socket.gethostname()} runs grader engine {mine}, the client {job.engine}; "
                "install the same grader on every worker")
    level = isolation_level()
    if not keeps_students_apart(level) and not job.allow_weak_isolation:
        return (f"worker {socket.gethostname()}: isolation level {level!r} cannot keep students apart; "
                "install bubblewrap there (grader doctor says what it lacks), or pass --allow-weak-isolation")
    return None


def pack(job: RemoteGrading) -> bytes:
    """The job as one opaque bytes object for Dask to carry: given the dataclass itself, Dask's
    graph code walks every field of the rubric in every task (measured: +20 ms a task)."""
    return pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)


def grade_remote(payload: bytes) -> str:
    """Run on a worker: grade the packed `RemoteGrading` in this machine's sandbox (the worker
    trusts its client, as Dask does); the answer is JSON text, either {"report": <the cache's
    form of the report>, "seconds": s} or {"error": why, "seconds": s}. Never raises: a grader
    failure costs one submission, as in the thread pool."""
    from grader.grading import grade
    from grader.probes.registry import load_all

    started = time.monotonic()
    try:
        job = pickle.loads(payload)
        if not isinstance(job, RemoteGrading):
            raise TypeError(f"expected a RemoteGrading, got {type(job).__name__}")
        load_all()  # the checks register on import; the client's rubric names them
        refusal = _refusal(job)
        if refusal is not None:
            return json.dumps({"error": refusal, "seconds": time.monotonic() - started})
        if not all(_safe_name(name) for name, _ in job.files) or job.main not in {n for n, _ in job.files}:
            raise ValueError("the staged file names are not plain file names")
        with tempfile.TemporaryDirectory(prefix="grader-remote-") as tmp:
            folder = Path(tmp) / job.key[:24]
            folder.mkdir()
            for name, content in job.files:
                (folder / name).write_bytes(content)
            report = grade(job.rubric, job.task, folder / job.main, seed=job.seed)
        return json.dumps({"report": report_to_dict(report), "seconds": time.monotonic() - started})
    except Exception as exc:  # a grader bug must cost one submission, not the batch
        return json.dumps({"error": f"internal grader error on worker {socket.gethostname()} "
                                    f"({type(exc).__name__}: {exc}); regrade this submission or report it",
                           "seconds": time.monotonic() - started})


def worker_facts() -> dict[str, str]:
    """Run on each worker before the batch: what the client checks it against."""
    from grader.sandbox import isolation_level

    try:
        level = isolation_level()
    except GraderError as exc:
        level = f"none ({exc})"
    return {"engine": engine_version(), "isolation": level, "host": socket.gethostname()}


def scheduler_allowed_failures(dask_scheduler: Any = None) -> int:
    """Run on the scheduler (Client.run_on_scheduler passes it in)."""
    return int(dask_scheduler.allowed_failures)


# ---- on the client -------------------------------------------------------------------------

def decode(text: Any) -> Outcome:
    """A worker's JSON answer as the Outcome the thread pool would have produced."""
    try:
        data = json.loads(text)
        seconds = float(data.get("seconds", 0.0))
        if "report" in data:
            return Outcome(report_from_dict(data["report"]), seconds=seconds)
        return Outcome(None, error=str(data["error"]), seconds=seconds)
    except (TypeError, ValueError, KeyError, AttributeError, CodecError) as exc:
        return Outcome(None, error=f"a worker's answer could not be read ({type(exc).__name__}); "
                                   "regrade this submission or report it")


def outcome_of(future: Future) -> Outcome:
    """The Outcome of a finished future: its grade, or why the cluster could not give one."""
    from distributed import KilledWorker

    if future.status == "finished":
        return decode(future.result())
    if future.status == "error":
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            return Outcome(None, error=KILLED_TWICE)
        return Outcome(None, error=f"the cluster failed this grading ({type(exc).__name__}: {exc}); "
                                   "regrade this submission")
    return Outcome(None, error=f"the cluster dropped this grading ({future.status}); regrade this submission")


@contextmanager
def connect(target: ClusterTarget, stream: TextIO) -> Iterator[Client]:
    """A client of the scheduler at `target.address`, or of a local cluster of processes
    (one grading at a time each) that ends with the batch."""
    distributed = distributed_module()
    import dask

    if target.address:
        try:
            client = distributed.Client(target.address, timeout=f"{CONNECT_SECONDS}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise GraderError(f"--cluster {target.address}: no Dask scheduler answered ({type(exc).__name__}); "
                              "start one (dask scheduler) and give its address, e.g. tcp://host:8786") from None
        try:
            _warn_settings(client, stream)
            yield client
        finally:
            client.close()
        return
    with dask.config.set({**SCHEDULER_CONFIG, **LOCAL_WORKER_CONFIG}):
        cluster = distributed.LocalCluster(n_workers=target.workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _warn_settings(client: Client, stream: TextIO) -> None:
    """Say so when the scheduler would retry a worker-killing grading more than once."""
    try:
        allowed = client.run_on_scheduler(scheduler_allowed_failures)
    except Exception:  # the scheduler may not have the grader installed: nothing to say then
        return
    if allowed != 1:
        stream.write(f"grader: warning: the scheduler runs a grading whose worker died up to {allowed + 1} "
                     "times before giving up; start it with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1\n")


def check_workers(client: Client, engine: str, allow_weak: bool, stream: TextIO) -> int:
    """Wait for a worker, then refuse a cluster whose workers run another engine or a sandbox
    too weak for a class; the number of gradings the cluster runs at once."""
    if not client.nthreads():
        stream.write("grader: waiting for a Dask worker to join the scheduler (Ctrl-C to stop)\n")
        stream.flush()
        client.wait_for_workers(1)
    from grader.sandbox import keeps_students_apart

    for address, facts in sorted(client.run(worker_facts).items()):
        if facts["engine"] != engine:
            raise GraderError(f"Dask worker {address} ({facts['host']}) runs grader engine {facts['engine']}, "
                              f"this client {engine}; install the same grader on every worker")
        if not keeps_students_apart(facts["isolation"]) and not allow_weak:
            raise GraderError(f"Dask worker {address} ({facts['host']}): isolation level {facts['isolation']!r} "
                              "cannot keep students apart; install bubblewrap there (run grader doctor "
                              "on it), or pass --allow-weak-isolation")
    return max(1, sum(client.nthreads().values()))


def run_jobs(rubric: Rubric, jobs: list[Job], cache: Cache, force: bool, progress: Progress,
             target: ClusterTarget, allow_weak: bool = False, stream: TextIO | None = None
             ) -> dict[str, Outcome]:
    """Outcome per job key, as `grader.batch.runner.run_jobs` gives, graded on the cluster."""
    import sys

    from distributed import as_completed

    stream = stream if stream is not None else sys.stderr
    outcomes, todo = from_cache(jobs, cache, force, progress)
    if not todo:
        return outcomes
    engine = engine_version()
    with connect(target, stream) as client:
        progress.jobs = check_workers(client, engine, allow_weak, stream)
        by_key: dict[str, Job] = {}
        futures = []
        for job in todo:
            try:
                payload = pack(remote_grading(job, rubric, engine, allow_weak))
            except OSError as exc:  # as the thread pool: one submission's problem, not the batch's
                outcomes[job.key] = Outcome(None, error=f"cannot read the staged files ({exc})")
                progress.advance(job.count, failed=True)
                continue
            futures.append(client.submit(grade_remote, payload, key=dask_key(job.key), pure=False, retries=0))
            by_key[dask_key(job.key)] = job
        try:
            for future in as_completed(futures):
                job = by_key[future.key]
                outcome = outcome_of(future)
                future.release()
                if outcome.report is not None:
                    cache.put(job.key, outcome.report)
                outcomes[job.key] = outcome
                progress.advance(job.count, failed=outcome.failed, seconds=outcome.seconds)
        finally:
            # On Ctrl-C: drop what has not finished; every grading that came back is cached.
            client.cancel([f for f in futures if f.status == "pending"])
    return outcomes
