"""A downloader's own bookkeeping under the race oracle (the requests answered in virtual time).

The probes run here, in the test's process, as the sandboxed child runs them; the judges read
their data. Each program is written for one pattern: a counter, a results slot, a tally, and
the designs that must pass (appending finished results, as_completed in the main thread, a
queue of workers).
"""
from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from grader.checks.downloader import mock as httpmock
from grader.checks.downloader.races import contract_races_probe, script_races_probe, \
    script_shared_state, shared_state
from grader.probes.probing import ProbeContext
from grader.probes.registry import JudgeContext

URLS = '["https://one.example/", "https://two.example/a", "https://three.example/b"]'


@pytest.fixture(autouse=True)
def mock_stays_local():
    yield
    httpmock.uninstall()


def script_data(tmp_path: Path, source: str, seed: int = 11) -> dict[str, Any]:
    path = tmp_path / "downloader.py"
    path.write_text(dedent(source).replace("URLS", URLS), encoding="utf-8")
    return script_races_probe(ProbeContext(None, path, path.read_text(), {}, {}, seed, {}))


def judged(obs: dict[str, Any], judge=script_shared_state):
    return judge(obs, JudgeContext({}, "downloader.py", 11))


THREAD_PER_URL = """
    threads = [threading.Thread(target=fetch, args=(u,)) for u in URLS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
"""  # one thread per URL runs fetch(url); the main thread waits for them all

COUNTER = """
    import threading
    import requests

    done = 0

    def fetch(url):
        global done
        code = requests.get(url, timeout=5).status_code
        done += 1
        print(url, code, f"({done} done)")

""" + THREAD_PER_URL


def test_an_unlocked_counter_in_the_download_threads_fails_naming_its_line(tmp_path) -> None:
    verdict = judged(script_data(tmp_path, COUNTER))
    assert verdict.status == "failed"
    assert "done" in verdict.message and "downloader.py:10" in verdict.message
    assert "replay this schedule" in verdict.details


LOCKED_COUNTER = """
    import threading
    import requests

    done = 0
    lock = threading.Lock()

    def fetch(url):
        global done
        code = requests.get(url, timeout=5).status_code
        with lock:
            done += 1
            n = done
        print(url, code, f"({n} done)")

""" + THREAD_PER_URL


def test_the_same_counter_under_a_lock_passes(tmp_path) -> None:
    verdict = judged(script_data(tmp_path, LOCKED_COUNTER))
    assert verdict.status == "passed", verdict.message
    assert "done" in verdict.message


def test_an_index_taken_from_the_results_length_fails_in_every_seed(tmp_path) -> None:
    source = """
        import threading
        import requests

        results = []

        def fetch(url):
            response = requests.get(url, timeout=5)
            results.append(None)
            slot = len(results) - 1
            results[slot] = (url, response.status_code)
            print(url, response.status_code)

        threads = [threading.Thread(target=fetch, args=(u,)) for u in URLS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    """
    for seed in (1, 2, 3):
        verdict = judged(script_data(tmp_path, source, seed))
        assert verdict.status == "failed"
        assert "takes an index from len(results)" in verdict.message


@pytest.mark.parametrize("source", [
    """
    import threading
    import requests

    results = []

    def fetch(url):
        code = requests.get(url, timeout=5).status_code
        results.append((url, code))
        print(url, code)

    threads = [threading.Thread(target=fetch, args=(u,)) for u in URLS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len(results), "pages")
    """,
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed
    import requests

    statuses = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(requests.get, u, timeout=5): u for u in URLS}
        for future in as_completed(futures):
            statuses[futures[future]] = future.result().status_code
            print(futures[future], statuses[futures[future]])
    """,
    """
    import queue
    import threading
    import requests

    jobs = queue.Queue()
    seen = {}

    def worker():
        while True:
            url = jobs.get()
            seen[url] = requests.get(url, timeout=5).status_code
            print(url, seen[url])
            jobs.task_done()

    for _ in range(2):
        threading.Thread(target=worker, daemon=True).start()
    for u in URLS:
        jobs.put(u)
    jobs.join()
    """,
], ids=["unlocked appends of finished results", "as_completed in the main thread",
        "queue workers writing their own keys"])
def test_designs_without_a_shared_update_pass(tmp_path, source: str) -> None:
    obs = script_data(tmp_path, source)
    verdict = judged(obs)
    assert verdict.status == "passed", verdict.message
    assert all(run["requests"] == 3 for run in obs["runs"])


def test_the_verdict_repeats_for_the_same_seed(tmp_path) -> None:
    first, second = script_data(tmp_path, COUNTER, seed=5), script_data(tmp_path, COUNTER, seed=5)
    assert [r["oracle"] for r in first["runs"]] == [r["oracle"] for r in second["runs"]]


def test_the_requests_take_no_real_time(tmp_path) -> None:
    """Every page answers after up to a second of virtual time; the whole probe (four
    schedules) must not wait for it."""
    import time

    started = time.monotonic()
    script_data(tmp_path, COUNTER)
    assert time.monotonic() - started < 20  # generous: four real seconds at the very least


def test_a_script_that_downloads_nothing_is_skipped(tmp_path) -> None:
    verdict = judged(script_data(tmp_path, "print('no downloads here')\n"))
    assert verdict.status == "skipped"


def test_download_pages_with_an_unlocked_counter_fails_the_contract_check(tmp_path) -> None:
    path = tmp_path / "downloader.py"
    path.write_text(dedent("""
        from concurrent.futures import ThreadPoolExecutor
        import requests

        fetched = 0

        def one(url, timeout):
            global fetched
            code = requests.get(url, timeout=timeout).status_code
            fetched += 1
            print(url, code)
            return code

        def download_pages(urls, max_workers=8, timeout=10.0):
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                return dict(zip(urls, pool.map(lambda u: one(u, timeout), urls)))
    """), encoding="utf-8")
    ctx = ProbeContext(None, path, path.read_text(), {"download": "download_pages"}, {}, 3, {})
    verdict = judged(contract_races_probe(ctx), shared_state)
    assert verdict.status == "failed"
    assert "fetched" in verdict.message


def test_the_reference_downloader_passes_the_contract_check() -> None:
    path = Path(__file__).resolve().parents[1] / "reference" / "downloader.py"
    ctx = ProbeContext(None, path, path.read_text(), {"download": "download_pages"}, {}, 3, {})
    obs = contract_races_probe(ctx)
    verdict = judged(obs, shared_state)
    assert verdict.status == "passed", verdict.message
    assert all(run["requests"] == 5 for run in obs["runs"])
