"""`grader batch` on Dask: a local cluster of processes, and a scheduler and workers started
apart, grade a class into the same gradebooks as the thread pool; a worker killed mid-batch
loses nothing; a grading whose worker dies twice is reported for that student alone.

Small on purpose (five small submissions): the scheduler and workers are real
processes on 127.0.0.1, started here on free ports and ended by pid.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import distributed
from batch_class import SYNTAX_ERROR, corpus
from conftest import ROOT
from grader.batch.app import BatchOptions, run_batch
from grader.batch.cache import engine_version
from grader.batch.cluster import (KILLED_TWICE, ClusterTarget, RemoteGrading, dask_key, decode, grade_remote,
                                  pack)
from grader.batch import cluster
from grader.batch.stage import stage
from grader.cli import main
from grader.rubric import parse_rubric

CLASS = {("ada", "bank"): corpus("bank", "reference"), ("ben", "bank"): corpus("bank", "buggy_temp_race"),
         ("chloe", "bank"): corpus("bank", "script_buggy_no_lock"), ("dmitri", "bank"): SYNTAX_ERROR,
         ("elif", "downloader"): "def download_pages(urls:\n"}  # a second task, graded at once
GRADEBOOKS = ("canvas.csv", "grades.csv")
CLUSTER_ENV = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
               "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    text = (ROOT / "rubric.yaml").read_text()
    # No submission of CLASS hangs, so the limits only bound a grading the machine's load slows:
    # generous, so that the thread pool's and the cluster's runs cannot differ by a backstop
    # firing in one of them (a blank cell once in a full run).
    text = re.sub(r"import_seconds: \d+", "import_seconds: 30", text)
    text = re.sub(r"check_seconds: \d+", "check_seconds: 30", text)
    path = tmp_path_factory.mktemp("rubric") / "rubric.yaml"
    path.write_text(text)
    return parse_rubric(path, text)


def write_class(folder: Path, files: dict) -> Path:
    for (student, task), source in files.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        (folder / student / f"{task}.py").write_text(source)
    return folder


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    return write_class(tmp_path_factory.mktemp("cluster-class") / "class", CLASS)


@pytest.fixture(scope="module")
def threads(klass, fast, tmp_path_factory):
    """The thread pool's grading of the class: what every cluster run must reproduce."""
    out = tmp_path_factory.mktemp("threads") / "out"
    result, _ = run_batch(klass, fast, BatchOptions(out=out, jobs=2, progress=False))
    return result, out


def checks(result):
    """Every grade's verdicts, without what differs from run to run on any path: the time, the
    sandbox's uid, and the details (the downloader's request timelines are drawn in real time)."""
    return {(row.student.key, task): (g.status, g.score, g.note, g.report and
                                      [(c.id, c.status, c.score, c.message) for c in g.report.checks])
            for row in result.students for task, g in row.grades.items()}


def assert_same_gradebooks(result, out, threads):
    expected, expected_out = threads
    for name in GRADEBOOKS:
        assert (out / name).read_bytes() == (expected_out / name).read_bytes(), name
    assert checks(result) == checks(expected)
    assert result.stats.gradings == len(CLASS) and result.stats.failed == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def end(procs: list[subprocess.Popen]) -> None:
    """End processes this test started, by their pids: politely (a nanny closes its worker),
    then for sure."""
    for proc in procs:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def scheduler(request, tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes (one thread each, under a nanny that
    restarts a killed worker), started apart from the grader as on a cluster."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **CLUSTER_ENV)
    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{free_port()}"
    started = []

    def stop():
        end(started[1:])  # the workers, then the scheduler
        end(started[:1])

    def start(command: list[str], log: str) -> None:
        with open(logs / log, "wb") as err:
            started.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err))

    request.addfinalizer(stop)
    start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
           "--port", address.rsplit(":", 1)[1], "--no-dashboard"], "scheduler.log")
    for n in range(2):
        start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
               "--host", "127.0.0.1", "--no-dashboard"], f"worker{n}.log")
    client = distributed.Client(address, timeout="30s")
    request.addfinalizer(client.close)
    client.wait_for_workers(2, timeout=60)
    return address, client


def test_a_local_cluster_of_two_processes_gives_the_thread_pools_gradebooks(klass, fast, threads, tmp_path):
    out = tmp_path / "out"
    result, _ = run_batch(klass, fast, BatchOptions(out=out, progress=False, cluster=ClusterTarget(workers=2)))
    assert_same_gradebooks(result, out, threads)


def test_a_separately_started_scheduler_and_workers_give_the_same_gradebooks(klass, fast, threads, scheduler,
                                                                             tmp_path, capsys):
    address, _ = scheduler
    out = tmp_path / "out"
    code = main(["batch", str(klass), "--out", str(out), "--cluster", address, "--rubric", str(fast.path)])
    assert code == 0
    printed = capsys.readouterr()
    assert f"{len(CLASS)} graded" in printed.out and f"{len(CLASS)}/{len(CLASS)} done" in printed.err
    _, expected_out = threads
    for name in GRADEBOOKS:
        assert (out / name).read_bytes() == (expected_out / name).read_bytes(), name


def test_doctor_lists_the_cluster_and_each_worker(scheduler, capsys):
    address, client = scheduler
    client.wait_for_workers(2, timeout=60)
    code = main(["doctor", "--cluster", address])
    out = capsys.readouterr().out
    assert f"scheduler:   ok  {address}: 2 worker(s)" in out
    workers = [line for line in out.splitlines() if line.startswith("worker:")]
    assert len(workers) == 2 and all(" ok " in w and "same engine" in w for w in workers)
    assert code == (0 if " NO " not in out else 1)


def _running_grading(client, dead: set[str]) -> tuple[str, str, int] | None:
    """(Dask key, worker address, worker pid) of a grading some worker is running, if any; a
    worker this test killed is not asked (the scheduler may list it until it notices, and a
    call to it waits for a connection that never comes while the rescheduled grading runs)."""
    for worker, keys in client.processing().items():
        if worker in dead:
            continue
        for key in keys:
            if str(key).startswith("grade-"):
                pid = client.run(os.getpid, workers=[worker]).get(worker)
                if pid:
                    return str(key), worker, pid
    return None


KILLED: set[str] = set()  # addresses of the workers this module's tests killed


def _kill_worker_running(client, key: str | None, timeout: float = 60) -> str:
    """SIGKILL the worker process running `key` (any grading when None); the key killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = _running_grading(client, KILLED)
        except (OSError, KeyError, distributed.comm.CommClosedError):
            found = None
        if found and (key is None or found[0] == key):
            os.kill(found[2], signal.SIGKILL)  # a process this test started (a worker under its nanny)
            KILLED.add(found[1])
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no worker ran {key or 'a grading'} within {timeout} s")


def _batch_in_thread(klass, rubric, out, address) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def go():
        box["result"] = run_batch(klass, rubric, BatchOptions(out=out, progress=False, force=True,
                                                              cluster=ClusterTarget(address)))[0]

    thread = threading.Thread(target=go)
    thread.start()
    return thread, box


def test_a_worker_killed_mid_batch_loses_no_grading(klass, fast, threads, scheduler, tmp_path):
    address, client = scheduler
    client.wait_for_workers(2, timeout=60)
    out = tmp_path / "out"
    thread, box = _batch_in_thread(klass, fast, out, address)
    _kill_worker_running(client, None)
    thread.join(timeout=180)
    assert not thread.is_alive()
    result = box["result"]
    assert_same_gradebooks(result, out, threads)
    graded = [(row.student.key, task) for row in result.students for task, g in row.grades.items()
              if g.status == "graded"]
    assert sorted(graded) == sorted(CLASS)  # every student graded, each once
    assert len(list((out / ".cache").rglob("*.json"))) == len(CLASS)


def test_a_grading_that_kills_its_worker_twice_is_reported_for_that_student(fast, scheduler, tmp_path):
    address, client = scheduler
    client.wait_for_workers(2, timeout=60)
    # the victim's import never ends (its own 5 s limit), so each kill lands while it is graded
    folder = write_class(tmp_path / "class", {("victim", "bank"): "class BankAccount: pass\nwhile True:\n    pass\n",
                                              ("other", "bank"): SYNTAX_ERROR + "# other\n"})
    key = dask_key(stage(fast.task("bank"), folder / "victim" / "bank.py", [], tmp_path / "staged",
                         fast.digest, engine_version()).key)
    out = tmp_path / "out"
    thread, box = _batch_in_thread(folder, fast, out, address)
    _kill_worker_running(client, key)
    _kill_worker_running(client, key)  # the same grading, rescheduled on another worker
    thread.join(timeout=180)
    assert not thread.is_alive()
    grades = {row.student.key: row.grades["bank"] for row in box["result"].students}
    assert grades["victim"].status == "failed" and grades["victim"].note == KILLED_TWICE
    assert grades["other"].status == "graded" and "SyntaxError" in grades["other"].report.error
    assert KILLED_TWICE in (out / "grades.csv").read_text()


def test_without_distributed_a_cluster_flag_is_one_line_naming_the_extra(klass, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert main(["batch", str(klass), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'grader[cluster]'" in err


def test_a_worker_refuses_a_grading_for_another_engine(fast):
    job = RemoteGrading("0" * 64, "bank", "bank.py", (("bank.py", b"x = 1\n"),), fast, "0.0.0+elsewhere")
    outcome = decode(grade_remote(pack(job)))
    assert outcome.report is None and "install the same grader on every worker" in outcome.error


def test_a_worker_sends_back_the_report_as_json_the_client_decodes(fast):
    job = RemoteGrading("1" * 64, "bank", "bank.py", (("bank.py", SYNTAX_ERROR.encode()),), fast,
                        engine_version())
    text = grade_remote(pack(job))
    assert isinstance(text, str) and json.loads(text)["report"]["task"] == "bank"
    outcome = decode(text)
    assert outcome.report is not None and outcome.report.score == 0 and "bank.py:2: SyntaxError" in outcome.report.error


def test_jobs_with_a_cluster_is_a_usage_error_naming_why(klass, capsys):
    assert main(["batch", str(klass), "--workers", "2", "--jobs", "2"]) == 2
    assert "--jobs sizes the thread pool" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["batch", str(klass), "--workers", "2", "--cluster", "tcp://127.0.0.1:1"])
    assert exit_.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_no_scheduler_at_the_address_is_one_line(klass, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)  # Dask retries a refused connection until then
    address = f"tcp://127.0.0.1:{free_port()}"
    assert main(["batch", str(klass), "--out", str(tmp_path / "out"), "--cluster", address]) == 2
    err = capsys.readouterr().err
    assert "no Dask scheduler answered" in err and "Traceback" not in err
