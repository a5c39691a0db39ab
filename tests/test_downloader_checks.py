"""Behaviour of the downloader checks: what a student's code does -> which verdict, and why.

Most tests grade a small submission end to end (sandboxed child, mocked server); a few drive
the mock server, the stdout recorder and the judges directly, in this process.
"""
from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from grader.checks.downloader import mock as httpmock
from grader.grading import grade
from grader.probes.probing import ProbeContext
from grader.probes.registry import CHECKS, PROBES, JudgeContext, load_all
from grader.rubric import Rubric, load_rubric
from conftest import Grading

ROOT = Path(__file__).resolve().parent.parent


def failed_ids(checks: dict[str, Any]) -> set[str]:
    return {cid for cid, c in checks.items() if c.status != "passed"}


POOL = """
    from concurrent.futures import ThreadPoolExecutor, as_completed
    import requests

    def fetch(url, timeout):
        try:
            return url, requests.get(url, timeout=timeout).status_code, None
        except requests.RequestException as exc:
            return url, None, exc

    def download_pages(urls, max_workers=8, timeout=10.0):
        results = {}
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            for future in as_completed([pool.submit(fetch, u, timeout) for u in urls]):
                url, status, exc = future.result()
                results[url] = status
                print(f"{url} {status}" if exc is None else f"{url} error {type(exc).__name__}")
        return results
"""


# --------------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------------

def test_reference_solution_gets_full_marks(rubric: Rubric) -> None:
    report = grade(rubric, "downloader", ROOT / "reference" / "downloader.py")
    assert report.error is None
    assert [c.id for c in report.checks if c.status != "passed"] == []
    assert report.score == report.max_score == 20


def test_a_sequential_loop_fails_overlap_with_a_timeline_showing_one_request_at_a_time(grading: Grading) -> None:
    checks = grading.graded("downloader", """
        import requests

        def download_pages(urls, max_workers=8, timeout=10.0):
            results = {}
            for url in urls:
                try:
                    results[url] = requests.get(url, timeout=timeout).status_code
                    print(url, results[url])
                except requests.RequestException as exc:
                    results[url] = None
                    print(url, "error", type(exc).__name__)
            return results
    """)
    # What only means something once downloads overlap is skipped, not passed.
    assert failed_ids(checks) == {"overlap", "max_workers", "completion_order", "waits_for_all",
                                  "shared_state"}
    assert {checks[c].status for c in ("max_workers", "completion_order", "waits_for_all")} == {
        "skipped"}
    assert sum(c.score for c in checks.values()) <= sum(c.max_score for c in checks.values()) / 2
    overlap = checks["overlap"]
    assert "one request was in flight at a time" in overlap.message
    assert overlap.data == {"seen": 1, "expected": 3}
    in_flight = next(line for line in overlap.details.splitlines() if "in flight" in line)
    assert set(in_flight.split()[-1]) <= {"0", "1"}  # never two requests at once
    assert "https://dl.test/ok" in overlap.details and "=" in overlap.details
    assert "1 s passed without a new one" in overlap.details


def test_a_pool_ignoring_max_workers_fails_only_max_workers(grading: Grading) -> None:
    checks = grading.graded("downloader", POOL.replace("ThreadPoolExecutor(max_workers=max_workers)",
                                                   "ThreadPoolExecutor(max_workers=len(urls))"))
    assert failed_ids(checks) == {"max_workers"}
    assert checks["max_workers"].data["peak"] == 7
    assert "but max_workers=3" in checks["max_workers"].message


def test_printing_after_all_downloads_fails_completion_order_and_shows_both_orders(grading: Grading) -> None:
    checks = grading.graded("downloader", """
        from concurrent.futures import ThreadPoolExecutor
        import requests

        def get(url, timeout):
            try:
                return requests.get(url, timeout=timeout).status_code
            except requests.RequestException as exc:
                return "error " + type(exc).__name__

        def download_pages(urls, max_workers=8, timeout=10.0):
            with ThreadPoolExecutor(max_workers) as pool:
                codes = list(pool.map(lambda u: get(u, timeout), urls))
            for url, code in zip(urls, codes):
                print(url, code)
            return {u: (c if isinstance(c, int) else None) for u, c in zip(urls, codes)}
    """)
    assert failed_ids(checks) == {"completion_order"}
    details = checks["completion_order"].details
    completed = next(ln for ln in details.splitlines() if ln.startswith("requests completed"))
    order = completed.split(": ", 1)[1].split(", ")
    # The first URL is answered after every URL without a redirect.
    assert all(order.index("alpha") > order.index(u) for u in ("charlie", "delta", "echo"))
    assert "your lines came in the order:    alpha, bravo, charlie, delta, echo" in details
    assert "line(s) late" in checks["completion_order"].message


def test_uncaught_exceptions_in_worker_threads_are_reported_by_name(grading: Grading) -> None:
    checks = grading.graded("downloader", """
        import threading
        import requests

        def download_pages(urls, max_workers=8, timeout=10.0):
            results, sem = {}, threading.Semaphore(max_workers)
            def work(url):
                with sem:
                    results[url] = requests.get(url, timeout=timeout).status_code
                print(url, results[url])
            threads = [threading.Thread(target=work, args=(u,), name=f"dl-{i}")
                       for i, u in enumerate(urls)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return results
    """)
    message = checks["errors_to_none"].message
    assert checks["errors_to_none"].status == "failed"
    assert "ConnectionError (at downloader.py:9) in thread 'dl-3'" in message
    assert "ReadTimeout (at downloader.py:9) in thread 'dl-4'" in message
    assert {"statuses", "overlap", "max_workers", "each_once", "waits_for_all"}.isdisjoint(
        failed_ids(checks))


def test_returning_before_the_threads_finish_fails_waits_for_all(grading: Grading) -> None:
    checks = grading.graded("downloader", POOL.replace(
        "with ThreadPoolExecutor(max_workers=max_workers) as pool:\n"
        "            for future in as_completed([pool.submit(fetch, u, timeout) for u in urls]):\n"
        "                url, status, exc = future.result()\n"
        "                results[url] = status\n"
        "                print(f\"{url} {status}\" if exc is None else "
        "f\"{url} error {type(exc).__name__}\")",
        "import threading\n"
        "        for u in urls:\n"
        "            threading.Thread(target=fetch, args=(u, timeout), daemon=True).start()"))
    verdict = checks["waits_for_all"]
    assert verdict.status == "failed"
    unfinished = verdict.data["in_flight"] + verdict.data["started_after"]
    assert unfinished >= 7
    assert verdict.message.startswith(f"download_pages returned before {unfinished} of its downloads")
    assert "R" in verdict.details.splitlines()[-2]  # the return is marked on the timeline
    assert checks["max_workers"].status == "failed"  # seven threads at once, no limit


def test_a_missing_timeout_and_a_changed_timeout_both_fail_timeout(grading: Grading) -> None:
    none = grading.graded("downloader", POOL.replace("timeout=timeout)", ")"))
    assert failed_ids(none) == {"timeout"}
    assert "without timeout=" in none["timeout"].message
    changed = grading.graded("downloader", POOL.replace("timeout=timeout)", "timeout=5)"))
    assert failed_ids(changed) == {"timeout"}
    assert "got timeout=5.0" in changed["timeout"].message


@pytest.mark.parametrize("reach, expected", [
    ("import urllib.request\n    try:\n        urllib.request.urlopen('http://example.com/')\n"
     "    except OSError:\n        pass", "example.com:80"),
    ("import socket\n    try:\n        socket.socket().connect(('93.184.216.34', 80))\n"
     "    except OSError:\n        pass", "connect to 93.184.216.34:80"),
    ("try:\n        requests.get('https://www.google.com/', timeout=1)\n"
     "    except requests.RequestException:\n        pass", "GET https://www.google.com/"),
], ids=["urllib", "raw-socket", "requests-to-another-host"])
def test_any_attempt_to_reach_an_unmocked_host_fails_no_network_and_is_blocked(
        grading: Grading, reach: str, expected: str) -> None:
    source = dedent(POOL).replace(
        "def download_pages(urls, max_workers=8, timeout=10.0):\n",
        "def download_pages(urls, max_workers=8, timeout=10.0):\n    " + reach + "\n")
    checks = grading.graded("downloader", source)
    assert failed_ids(checks) == {"no_network"}
    assert expected in checks["no_network"].message
    assert "blocked" in checks["no_network"].message


def test_a_missing_function_fails_api_and_skips_the_rest(grading: Grading) -> None:
    checks = grading.graded("downloader", dedent(POOL).replace("def download_pages(", "def download(")
                    + "\ndownload_pages = 42\n")
    assert checks["api"].status == "failed"
    assert "is a int, not a function" in checks["api"].message
    assert {c.status for cid, c in checks.items() if cid != "api"} == {"skipped"}


def test_a_signature_without_max_workers_fails_api(grading: Grading) -> None:
    checks = grading.graded("downloader", POOL.replace("urls, max_workers=8, timeout=10.0",
                                                   "urls, timeout=10.0"))
    assert checks["api"].status == "failed"
    assert "max_workers" in checks["api"].message


def test_unlocked_prints_from_many_threads_still_count_as_one_line_per_url(grading: Grading) -> None:
    checks = grading.graded("downloader", """
        from concurrent.futures import ThreadPoolExecutor
        import requests

        def get(url, timeout):
            try:
                code = requests.get(url, timeout=timeout).status_code
                print(url, code)  # four writes per line, from several threads at once
                return code
            except requests.RequestException as exc:
                print(url, "error", type(exc).__name__)

        def download_pages(urls, max_workers=8, timeout=10.0):
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                codes = list(pool.map(lambda u: get(u, timeout), urls))
            results = dict(zip(urls, codes))
            print(results)  # a summary line naming every URL is not a status line
            return results
    """)
    assert failed_ids(checks) == set()


def test_a_script_that_joins_each_thread_before_starting_the_next_fails_script_overlap(grading: Grading) -> None:
    report = grading.graded("downloader", """
        import threading, requests
        URLS = ["https://www.python.org", "https://github.com", "https://pypi.org/simple/"]
        def get(url):
            print(url, requests.get(url, timeout=5).status_code)
        for url in URLS:
            t = threading.Thread(target=get, args=(url,))
            t.start()
            t.join()
    """).report
    assert report.style == "program"
    checks = {c.id: c for c in report.checks}
    assert {cid for cid, c in checks.items() if c.status != "passed" and not c.bonus} == {"api",
        "script_overlap", "script_completion_order", "script_waits", "script_shared_state"}
    assert checks["script_completion_order"].status == checks["script_waits"].status == "skipped"
    assert checks["script_shared_state"].status == "skipped"
    assert report.score <= report.max_score / 2
    assert "one after another" in checks["script_overlap"].message
    assert "https://pypi.org/simple/" in checks["script_overlap"].details


def test_a_script_that_crashes_fails_script_runs_and_skips_the_rest(grading: Grading) -> None:
    report = grading.graded("downloader", """
        import threading, requests
        def get(url):
            print(url, requests.get(url).status_code)
        threads = [threading.Thread(target=get, args=(u,)) for u in ("https://a.example/",
                                                                      "https://b.example/")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        raise RuntimeError("boom")
    """).report
    checks = {c.id: c for c in report.checks}
    assert checks["script_runs"].status == "failed"
    assert "RuntimeError: boom" in checks["script_runs"].message
    assert checks["script_overlap"].status == checks["script_status_lines"].status == "skipped"


def test_a_script_missing_a_status_line_fails_script_status_lines(grading: Grading) -> None:
    report = grading.graded("downloader", """
        from concurrent.futures import ThreadPoolExecutor
        import requests
        SITES = ["https://a.example", "https://b.example", "https://c.example"]
        with ThreadPoolExecutor(3) as pool:
            for site, r in zip(SITES, pool.map(requests.get, SITES)):
                if site != SITES[1]:
                    print(site, r.status_code)
    """).report
    checks = {c.id: c for c in report.checks}
    assert checks["script_status_lines"].status == "failed"
    assert "https://b.example" in checks["script_status_lines"].message
    assert checks["script_overlap"].status == "passed"


# --------------------------------------------------------------------------------------------
# In this process: the mock server, the recorder, the probes with a short deadline
# --------------------------------------------------------------------------------------------

@pytest.fixture
def mock() -> Any:
    yield httpmock
    httpmock.uninstall()


def test_the_gate_opens_at_its_target_without_waiting_for_the_quiet_window(mock: Any) -> None:
    import requests

    urls = [f"https://t.test/{name}" for name in ("a", "b", "c", "d")]
    with mock.MockServer({u: mock.status(200, 0.05) for u in urls}, gate_target=4,
                         quiet=5.0) as server:
        threads = [threading.Thread(target=requests.get, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    snap = server.snapshot()
    assert snap["gate"] == {"target": 4, "opened": True, "count": 4, "at": snap["gate"]["at"],
                            "reason": "target"}
    assert snap["peak"] == 4


def test_a_sequential_client_never_has_two_requests_in_flight(mock: Any) -> None:
    import requests

    urls = [f"https://t.test/{name}" for name in ("a", "b", "c")]
    with mock.MockServer({u: mock.status(200, 0.01) for u in urls}, gate_target=3,
                         quiet=0.2) as server:
        for u in urls:
            assert requests.get(u).status_code == 200
    snap = server.snapshot()
    assert snap["peak"] == 1 and snap["gate"]["count"] == 1 and snap["gate"]["reason"] == "quiet"
    rendered = mock.render_timeline(snap["requests"], gate=snap["gate"])
    assert "G" in rendered and rendered.count("200") == 3


def test_errors_are_fresh_objects_and_honour_the_students_timeout(mock: Any) -> None:
    import requests

    routes = {"https://t.test/down": mock.connection_error(0.0),
              "https://t.test/slow": mock.slow_response(0.0, slow=30.0, hang=0.05)}
    caught = []
    with mock.MockServer(routes) as server:
        for _ in range(2):
            try:
                requests.get("https://t.test/down")
            except requests.ConnectionError as exc:
                caught.append(exc)
        with pytest.raises(requests.ReadTimeout):
            requests.get("https://t.test/slow", timeout=(1, 2))
        assert requests.get("https://t.test/slow").status_code == 200  # no timeout: it waits
        with pytest.raises(requests.ConnectionError, match="not one of the URLs"):
            requests.get("https://elsewhere.test/")
    assert caught[0] is not caught[1]
    outcomes = [(r["outcome"], r["timeout"]) for r in server.snapshot()["requests"]]
    assert outcomes == [("ConnectionError", None), ("ConnectionError", None),
                        ("ReadTimeout", 2.0), ("200", None)]
    assert server.snapshot()["unmocked"] == ["GET https://elsewhere.test/"]


def test_a_request_after_the_server_closed_is_refused_not_sent(mock: Any) -> None:
    import requests

    with mock.MockServer({"https://t.test/a": mock.status(200, 0.0)}) as server:
        pass
    with pytest.raises(requests.ConnectionError, match="after the check had finished"):
        requests.get("https://t.test/a")
    assert server.late == ["GET https://t.test/a"]


def _thread_per_url(urls: list[str]) -> None:
    import requests

    threads = [threading.Thread(target=requests.get, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_the_warped_server_has_every_request_of_a_thread_per_url_client_in_flight(mock: Any) -> None:
    """The clock never skips while the client is still starting threads: all six requests are
    in flight together, and each answer goes out in the order of its due time."""
    urls = [f"https://t.test/{n}" for n in range(6)]
    latency = {u: 2.0 + n / 10 for n, u in enumerate(urls)}
    with mock.WarpedServer({u: mock.status(200, latency[u]) for u in urls}, gate_target=3,
                           quiet=5.0) as server:
        _thread_per_url(urls)
    snap = server.snapshot()
    assert snap["peak"] == 6 and snap["gate"]["count"] == 3
    done = sorted(snap["requests"], key=lambda r: r["end"])
    assert [r["url"] for r in done] == sorted(urls, key=lambda u: next(
        r["released"] for r in snap["requests"] if r["url"] == u) + latency[u])
    assert all(r["end"] >= r["released"] + latency[r["url"]] - 1e-3 for r in done)


def _poll_until_done(futures: list[Any]) -> None:
    while not all(f.done() for f in futures):
        time.sleep(0.01)


def _wait_with_timeout(futures: list[Any]) -> None:
    from concurrent.futures import as_completed

    for future in as_completed(futures, timeout=60):
        future.result()


@pytest.mark.parametrize("wait", [_poll_until_done, _wait_with_timeout])
def test_the_warped_server_skips_no_time_while_the_client_sleeps_or_waits_with_a_timeout(
        mock: Any, wait: Any) -> None:
    """A thread that sleeps, polls or waits with a timeout could act as time passes: the clock
    then runs in real time, as it does without the warp."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    urls = [f"https://t.test/{n}" for n in range(3)]
    with mock.WarpedServer({u: mock.status(200, 0.2) for u in urls}, gate_target=3) as server:
        with ThreadPoolExecutor(3) as pool:
            wait([pool.submit(requests.get, u) for u in urls])
    assert server.skipped == 0 and server.snapshot()["peak"] == 3


@pytest.mark.sandbox
def test_the_gated_runs_outcome_is_the_same_whether_or_not_the_clock_skips() -> None:
    """A pool and a thread-per-URL client against the warped server, in a process of their
    own: once alone (the clock skips the latencies) and once beside a thread that keeps the CPU
    busy (the process is seldom idle, so latencies are mostly waited out in real time). The
    requests in flight, the gate and the order of the answers are the same."""
    import subprocess
    import sys

    code = dedent("""
        import json, threading
        from concurrent.futures import ThreadPoolExecutor
        import requests
        from grader.checks.downloader import mock

        URLS = [f"https://t.test/{n}" for n in range(7)]
        ROUTES = {u: mock.status(200, 0.5 + n / 10) for n, u in enumerate(URLS)}

        def pool():
            with ThreadPoolExecutor(3) as executor:
                list(executor.map(requests.get, URLS))

        def per_url():
            threads = [threading.Thread(target=requests.get, args=(u,)) for u in URLS]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        def run(client):
            with mock.WarpedServer(ROUTES, gate_target=3) as server:
                client()
            snap = server.snapshot()
            order = [r["url"] for r in sorted(snap["requests"], key=lambda r: r["end"])]
            return {"peak": snap["peak"], "gate": snap["gate"]["count"],
                    "order": order if client is pool else None, "skipped": snap["skipped"] > 0}

        def burn():
            while not stop:
                pass

        alone = [run(pool), run(per_url)]
        stop = []
        burner = threading.Thread(target=burn)
        burner.start()
        busy = [run(pool), run(per_url)]
        stop.append(1)
        burner.join()
        print(json.dumps([alone, busy]))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    alone, busy = __import__("json").loads(done.stdout)
    assert [a["skipped"] for a in alone] == [True, True]
    # Beside the burner the clock mostly runs in real time, but on a loaded machine the burner
    # can sit between two readings of the idle check: whether it skipped is not the point,
    # that the run's facts are the same either way is.
    facts = lambda runs: [{k: v for k, v in r.items() if k != "skipped"} for r in runs]  # noqa: E731
    assert facts(alone) == facts(busy)
    assert alone[0]["peak"] == 3 and alone[1]["peak"] == 7


def test_the_recorder_reassembles_lines_written_piecewise_by_several_threads() -> None:
    recorder = httpmock.StdoutRecorder(time.monotonic)
    barrier = threading.Barrier(2)

    def write(name: str) -> None:
        barrier.wait()
        for part in (name, " ", "200", "\n"):
            recorder.write(part)
            time.sleep(0.001)

    threads = [threading.Thread(target=write, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.write("no newline")
    assert sorted(line["text"] for line in recorder.finish()) == ["first 200", "no newline",
                                                                  "second 200"]


def _probe(tmp_path: Path, source: str, name: str) -> dict[str, Any]:
    """Run probe `name` in this process (no child) on `source`."""
    load_all()
    path = tmp_path / "downloader.py"
    path.write_text(dedent(source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("downloader_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ctx = ProbeContext(module, path, path.read_text(), {"download": "download_pages"}, {}, 0)
    return PROBES[name].run(ctx)


def test_a_download_pages_that_never_returns_is_reported_with_its_timeline(
        tmp_path: Path, mock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.checks.downloader import contract_runs

    monkeypatch.setattr(contract_runs, "CALL_DEADLINE", 0.5)
    obs = _probe(tmp_path, """
        import threading, requests
        def download_pages(urls, max_workers=8, timeout=10.0):
            requests.get(urls[0], timeout=timeout)
            threading.Event().wait(3)  # stuck
    """, "downloader.gated")
    verdict = CHECKS["downloader.waits_for_all"].judge(obs, JudgeContext({}, "downloader.py", 0))
    assert verdict.status == "failed"
    assert verdict.message.startswith("download_pages did not return within 0.5 s")
    assert "https://dl.test/ok" in verdict.details


def test_the_bundled_rubric_grades_both_downloader_styles(rubric: Rubric) -> None:
    task = rubric.task("downloader")
    assert task.entry_points == {"download": "download_pages"}
    assert [c.id for c in task.checks_for("contract")] == [
        "api", "statuses", "errors_to_none", "each_once", "overlap", "max_workers",
        "prints_status", "completion_order", "shared_state", "timeout", "waits_for_all",
        "no_network"]
    assert task.names_check == "api"
    assert [c.id for c in task.checks_for("program")] == [
        "api", "script_runs", "script_overlap", "script_status_lines", "script_completion_order",
        "script_waits", "script_shared_state", "script_no_network", "script_errors",
        "script_timeout"]
    assert task.max_score("contract") == task.max_score("program") == 20


def test_the_untouched_starter_scores_zero(grading: Grading) -> None:
    starter = (ROOT / "assignments" / "downloader" / "starter.py").read_text(encoding="utf-8")
    report = grading.graded("downloader", starter).report
    assert report.style == "contract" and report.error is None
    assert report.score == 0 and report.max_score == 20
    assert "no request reached the grader's server" in {c.id: c for c in report.checks}[
        "each_once"].message


def test_status_lines_logged_to_stderr_in_any_clear_wording_pass_prints_status(grading: Grading) -> None:
    checks = grading.graded("downloader", """
        import logging
        from concurrent.futures import ThreadPoolExecutor, as_completed
        import requests

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

        def fetch(url, timeout):
            try:
                code = requests.get(url, timeout=timeout).status_code
                logging.info("[%s] <- %s", code, url)
                return url, code
            except requests.RequestException as exc:
                logging.warning("[failed] %s: %s", url, type(exc).__name__)
                return url, None

        def download_pages(urls, max_workers=8, timeout=10.0):
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                futures = [pool.submit(fetch, u, timeout) for u in urls]
                return dict(f.result() for f in as_completed(futures))
    """)
    assert failed_ids(checks) == set()
    assert checks["prints_status"].status == checks["completion_order"].status == "passed"


def test_the_sequenced_server_answers_one_at_a_time_latest_arrival_first(mock: Any) -> None:
    import requests

    urls = [f"https://s.test/{name}" for name in ("first", "second", "third")]
    with mock.SequencedServer(lambda url: mock.status(200, 0.0), lambda url: 0.0,
                              first_target=3, quiet=5.0, settle=0.2, patience=5) as server:
        server.reported = lambda record: True  # every answer is reacted to at once
        threads = []
        for u in urls:  # one at a time, so that arrival order is known
            t = threading.Thread(target=requests.get, args=(u,))
            t.start()
            threads.append(t)
            deadline = time.monotonic() + 5
            while len(server.records) < len(threads) and time.monotonic() < deadline:
                time.sleep(0.005)
        for t in threads:
            t.join(10)
    snap = server.snapshot()
    answered = sorted(snap["requests"], key=lambda r: r["answered"])
    assert [r["url"] for r in answered] == list(reversed(urls))
    assert snap["phases"][0]["count"] == 3 and snap["phases"][0]["reason"] == "target"
    assert snap["peak"] == 3 and snap["unanswered"] == 0


def test_the_sequenced_server_stops_waiting_after_answers_nobody_reported(mock: Any) -> None:
    import requests

    urls = [f"https://s.test/{n}" for n in range(4)]
    with mock.SequencedServer(lambda url: mock.status(200, 0.0), lambda url: 0.0,
                              first_target=4, quiet=5.0, settle=0.1, patience=2) as server:
        threads = [threading.Thread(target=requests.get, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    snap = server.snapshot()
    assert snap["unanswered"] == 2  # then it answered the rest without waiting
    assert all(r["outcome"] == "200" for r in snap["requests"])
