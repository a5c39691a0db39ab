"""Script-style downloaders (top-level code over the program's own URLs), graded end to end.

Each program here is written for one pattern seen in real submissions; the grader answers
its URLs itself (`grader.checks.downloader.mock.SequencedServer`), so no test touches the network or waits for a
real response.
"""
from __future__ import annotations

import re

from pathlib import Path
from textwrap import dedent
from typing import Any

from grader.grading import grade
from grader.results import GradeReport
from grader.rubric import Rubric

SITES = '["https://alpha.example/", "https://bravo.example/page", "https://charlie.example/x", "https://delta.example/"]'


def graded(rubric: Rubric, folder: Path, source: str, **companions: str) -> GradeReport:
    path = folder / "downloader.py"
    path.write_text(dedent(source).replace("SITES_LIST", SITES), encoding="utf-8")
    for name, text in companions.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    report = grade(rubric, "downloader", path)
    assert report.error is None, report.error
    assert report.style == "program"
    return report


def by_id(report: GradeReport) -> dict[str, Any]:
    return {c.id: c for c in report.checks}


def not_passed(report: GradeReport) -> set[str]:
    """The checks that did not pass, the names check aside (a program without download_pages
    is graded as it is, and `api` only says which names were expected)."""
    return {c.id for c in report.checks if c.status != "passed" and not c.bonus and c.id != "api"}


THREAD_PER_URL = """
    import threading
    import requests

    def fetch(url):
        response = requests.get(url)
        print(f"URL: {url}, Status Code: {response.status_code}")

    threads = [threading.Thread(target=fetch, args=(u,)) for u in SITES_LIST]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
"""


def test_a_thread_per_url_script_printing_in_its_threads_gets_full_marks(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, THREAD_PER_URL)
    assert not_passed(report) == set()
    assert report.score >= report.max_score == 20
    checks = by_id(report)
    # No try/except and no timeout=: the extra credit is not earned, nothing else is lost.
    assert checks["script_errors"].status == "failed" and checks["script_errors"].bonus
    assert "killed its thread" in checks["script_errors"].message
    assert checks["script_timeout"].status == "failed"
    assert "timeout=" in checks["script_timeout"].message


def test_a_robust_script_reading_its_urls_from_a_companion_file_earns_the_extra_credit(
        rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading
        import requests

        def fetch(url):
            try:
                r = requests.get(url, timeout=10)
                print(url, "->", r.status_code)
            except requests.RequestException as exc:
                print(url, "->", "FAILED", type(exc).__name__)

        with open("urls.txt") as f:
            urls = [line.strip() for line in f if line.strip()]
        threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with open("report.txt", "w") as out:  # the working folder is writable
            out.write("done")
    """, urls__txt="https://one.example/a\nhttps://two.example/b\nhttps://three.example/c\n")
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"]  # names: by design
    assert report.score == report.max_score + 2
    errors = by_id(report)["script_errors"].message
    assert "ConnectionError" in errors and "ReadTimeout" in errors  # the slow URL hit timeout=10


def test_printing_after_joining_in_start_order_fails_completion_order(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading
        import requests

        results = {}

        def fetch(url):
            results[url] = requests.get(url).status_code

        threads = {u: threading.Thread(target=fetch, args=(u,)) for u in SITES_LIST}
        for t in threads.values():
            t.start()
        for url, t in threads.items():
            t.join()
            print(url, results[url])
    """)
    assert not_passed(report) == {"script_completion_order"}
    order = by_id(report)["script_completion_order"]
    assert "printed late" in order.message and "join order" in order.message
    assert "one request at a time, in this order" in order.details


def test_as_completed_after_the_with_block_prints_everything_at_the_end(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        from concurrent.futures import ThreadPoolExecutor, as_completed
        import requests

        def fetch(url):
            return url, requests.get(url).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(fetch, u) for u in SITES_LIST]
        for future in as_completed(futures):
            print(*future.result())
    """)
    assert not_passed(report) == {"script_completion_order"}


def test_polling_daemon_threads_then_printing_fails_completion_order(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading, time
        import requests

        class Fetch(threading.Thread):
            def __init__(self, url):
                super().__init__(daemon=True)
                self.url, self.result = url, "pending"
            def run(self):
                self.result = requests.get(self.url).status_code

        workers = [Fetch(u) for u in SITES_LIST]
        for w in workers:
            w.start()
        while any(w.is_alive() for w in workers):
            time.sleep(0.01)
        for w in workers:
            print(f"{w.url}: {w.result}")
    """)
    assert not_passed(report) == {"script_completion_order"}


def test_a_sequential_script_loses_at_least_half(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import requests
        for url in SITES_LIST:
            print(url, requests.get(url, timeout=5).status_code)
    """)
    assert "script_overlap" in not_passed(report)
    assert report.score <= report.max_score / 2


def test_a_sequential_pass_then_a_threaded_one_is_judged_on_the_threaded_part(
        rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading
        import requests

        URLS = SITES_LIST
        for url in URLS:  # the slow way first, for comparison
            requests.get(url)

        def fetch(url):
            print(url, requests.get(url).status_code)

        threads = [threading.Thread(target=fetch, args=(u,)) for u in URLS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    """)
    assert not_passed(report) == set()
    assert "requests in flight at once" in by_id(report)["script_overlap"].message


def test_codes_collected_and_printed_without_urls_fail_status_lines(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading
        import requests

        codes = []
        def fetch(url):
            codes.append(requests.get(url).status_code)

        threads = [threading.Thread(target=fetch, args=(u,)) for u in SITES_LIST]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(codes)
    """)
    checks = by_id(report)
    assert checks["script_status_lines"].status == "failed"
    assert "no line shows" in checks["script_status_lines"].message
    assert checks["script_completion_order"].status == "skipped"


def test_a_download_message_without_a_status_code_fails_status_lines(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading
        import requests

        def save(url):
            page = requests.get(url, timeout=3)
            name = url.split("//")[1].split("/")[0] + ".html"
            with open(name, "w") as f:
                f.write(page.text)
            print(f"Downloaded {url}")

        threads = [threading.Thread(target=save, args=(u,)) for u in SITES_LIST]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    """)
    assert not_passed(report) == {"script_status_lines", "script_completion_order"}


def test_unjoined_threads_and_a_heartbeat_fail_waits_and_status_lines(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading, time
        import requests

        def save(url):
            requests.get(url)

        def heartbeat():
            while True:
                print("Still downloading...")
                time.sleep(0.1)

        threading.Thread(target=heartbeat, daemon=True).start()
        for url in SITES_LIST:
            threading.Thread(target=save, args=(url,), daemon=True).start()
    """)
    failed = not_passed(report)
    assert {"script_status_lines", "script_waits"} <= failed
    assert "ended while" in by_id(report)["script_waits"].message


UNJOINED = """
    import threading
    import requests

    def fetch(url):
        try:
            print(url, "answered", requests.get(url, timeout=5).status_code)
        except requests.RequestException as exc:
            print(url, "error", type(exc).__name__)

    for url in SITES_LIST:
        threading.Thread(target=fetch, args=(url,)DAEMON).start()
    print("main thread done")
"""


def test_unjoined_non_daemon_threads_are_waited_for_by_python_at_exit(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, UNJOINED.replace("DAEMON", ""))
    assert not_passed(report) == set(), [c.message for c in report.checks if c.status != "passed"]


def test_unjoined_daemon_threads_are_killed_at_exit_and_fail_waits(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, UNJOINED.replace("DAEMON", ", daemon=True"))
    waits = by_id(report)["script_waits"]
    assert waits.status == "failed"
    # how many were still in flight depends on when the grader's server answered them (real
    # time); that some were, and why, does not
    assert re.search(r"ended while [1-4] download\(s\)", waits.message) and "daemon" in waits.message


def test_non_daemon_workers_left_waiting_for_work_never_let_the_script_exit(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import queue, threading
        import requests

        jobs = queue.Queue()

        def worker():
            while True:
                url = jobs.get()
                try:
                    print(url, requests.get(url, timeout=5).status_code, flush=True)
                except requests.RequestException as exc:
                    print(url, "error", type(exc).__name__, flush=True)
                finally:
                    jobs.task_done()

        for _ in range(3):
            threading.Thread(target=worker).start()
        for url in SITES_LIST:
            jobs.put(url)
        jobs.join()
    """)
    assert not_passed(report) == {"script_waits"}
    waits = by_id(report)["script_waits"]
    assert "never exits" in waits.message and "3 other thread(s), running worker" in waits.message


def test_a_crash_while_reading_the_results_fails_script_runs(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        from concurrent.futures import ThreadPoolExecutor
        import requests

        def fetch(url):
            return requests.get(url), url

        with ThreadPoolExecutor(2) as pool:
            for url, response in zip(SITES_LIST, pool.map(fetch, SITES_LIST)):
                print(url, response.status_code)
    """)
    runs = by_id(report)["script_runs"]
    assert runs.status == "failed" and "AttributeError" in runs.message
    assert report.score == 0


def test_status_lines_through_logging_on_stderr_count(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import logging
        from concurrent.futures import ThreadPoolExecutor, as_completed
        import requests

        logging.basicConfig(level=logging.INFO, format="%(threadName)s %(message)s")
        log = logging.getLogger("fetcher")

        def fetch(url):
            try:
                log.info("%s answered %s", url, requests.get(url, timeout=4).status_code)
            except requests.RequestException as exc:
                log.error("%s failed: %s", url, exc)

        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in as_completed([pool.submit(fetch, u) for u in SITES_LIST]):
                future.result()
    """)
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"]  # names: by design
    assert "answered" in report.stderr or "answered" not in report.stdout


def test_daemon_workers_behind_queue_join_finish_before_the_script_ends(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import queue, threading
        import requests

        jobs = queue.Queue()

        def worker():
            while True:
                url = jobs.get()
                try:
                    print(url, requests.get(url, timeout=5).status_code, flush=True)
                except requests.RequestException as exc:
                    print(url, "error", type(exc).__name__, flush=True)
                finally:
                    jobs.task_done()

        for _ in range(3):
            threading.Thread(target=worker, daemon=True).start()
        for url in SITES_LIST:
            jobs.put(url)
        jobs.join()
    """)
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"]  # names: by design


def test_urllib_instead_of_requests_is_answered_and_costs_the_requests_point(rubric, tmp_path) -> None:
    report = graded(rubric, tmp_path, """
        import threading
        import urllib.request

        def fetch(url):
            try:
                print(url, urllib.request.urlopen(url, timeout=2).status)
            except Exception as exc:
                print(url, "error", exc)

        threads = [threading.Thread(target=fetch, args=(u,)) for u in SITES_LIST]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    """)
    checks = by_id(report)
    assert not_passed(report) == {"script_no_network"}
    assert ("downloads with urllib.request.urlopen() (downloader.py line 7), not requests"
            in checks["script_no_network"].message)
    assert checks["script_errors"].status == "passed"  # an HTTPError or URLError line is a failure mark
    assert report.score >= report.max_score - 1
