"""The downloader's servers end their waits on events, in this process: a status line wakes the
order run's conductor, the conductor is not a thread the student left running, and the threads an
early return left behind are not waited for once they cannot print; and requests are answered by
the grader's own transport (no `responses`) as they were before.

No timing is asserted: the waits that would otherwise run out are made long (60 s), and a join
with a generous bound says the run ended on the event instead.
"""
from __future__ import annotations

import os
import threading
from textwrap import dedent
from types import SimpleNamespace
from typing import Any

import pytest

from grader.checks.downloader import contract_runs, harness
from grader.checks.downloader import mock as httpmock
from grader.checks.downloader.mock import sequenced


@pytest.fixture
def mock() -> Any:
    yield httpmock
    httpmock.uninstall()


def test_the_recorder_calls_on_line_once_per_completed_line() -> None:
    calls: list[int] = []
    recorder = httpmock.StdoutRecorder(lambda: 0.0, on_line=lambda: calls.append(1))
    recorder.write("https://x.test/a ")
    recorder.write("200")
    assert calls == []  # no line yet
    recorder.write("\n")
    recorder.write("one\ntwo\n")
    assert len(calls) == 2 and [line["text"] for line in recorder.finish()] == [
        "https://x.test/a 200", "one", "two"]


def test_a_status_line_wakes_the_conductor_without_a_look_or_a_timeout(
        mock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With LOOK and settle at 60 s, only the line's wake-up can move the conductor on."""
    import requests

    monkeypatch.setattr(sequenced, "LOOK", 60.0)
    urls = [f"https://s.test/{n}" for n in range(3)]
    server = httpmock.SequencedServer(lambda url: httpmock.status(200, 0.0), lambda url: 0.0,
                                      first_target=3, quiet=60.0, settle=60.0, patience=5)

    def fetch(url: str) -> None:
        code = requests.get(url).status_code
        sum(range(300_000))  # some work after the answer: the conductor waits before the line
        print(url, code)

    def body() -> None:
        threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    ended = threading.Thread(target=lambda: _run(server, body))
    ended.start()
    ended.join(30)
    assert not ended.is_alive()
    snap = server.snapshot()
    assert snap["unanswered"] == 0 and sorted(r["answered"] for r in snap["requests"]) == [1, 2, 3]


def _run(server: Any, body: Any, settled: Any = lambda threads: True) -> harness.Recording:
    return harness.run_against(SimpleNamespace(filename="downloader.py"), server, body,
                               name="grader-call", daemon=True, wait=30.0,
                               finished=lambda runner: not runner.is_alive(), linger=60.0,
                               settled=settled)


def test_the_conductor_is_not_a_thread_the_call_left_running(mock: Any) -> None:
    """A call that returns without requesting anything leaves no thread: the sequenced server's
    own conductor is not lingered for (it was, for the whole LINGER)."""
    seen: list[list[threading.Thread]] = []
    server = httpmock.SequencedServer(lambda url: httpmock.status(200, 0.0), lambda url: 0.0,
                                      first_target=3)
    _run(server, lambda: None, settled=lambda threads: seen.append(threads) or not threads)
    assert seen == [[]]


def _alone(code: str) -> str:
    """Run `code` in a Python of its own and return what it printed. The idle test
    (`harness.idle`, every thread of the process asleep for good) is about the whole process:
    in the test runner, threads other tests leave behind (a Dask client's event loop) never
    sleep for good, so these cases run where, as in the child, only their own threads are."""
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run([sys.executable, "-c", dedent(code)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.sandbox
def test_threads_left_waiting_for_good_after_an_early_return_are_not_waited_for() -> None:
    """Every download is done and the threads wait untimed on what no one will set: no line
    can come, so the last-lines wait ends at once (LAST_LINES made 60 s)."""
    assert _alone("""
        import threading
        from grader.checks.downloader import contract_runs
        from grader.checks.downloader import mock as httpmock

        contract_runs.LAST_LINES = 60.0
        never = threading.Event()
        waiting = [threading.Thread(target=never.wait, daemon=True) for _ in range(2)]
        for t in waiting:
            t.start()
        server = httpmock.MockServer({})
        server.passive.add(threading.get_native_id())  # this thread only joins, as the harness's does
        done = threading.Thread(target=contract_runs._last_lines, args=(waiting, server), daemon=True)
        done.start()
        done.join(30)
        print(not done.is_alive(), all(t.is_alive() for t in waiting))
    """) == "True True"


def test_requests_are_answered_by_the_grader_transport_as_responses_answered_them(mock: Any) -> None:
    """Redirects followed, a streamed body, the adapter's Retry honoured (each retry reaches the
    server), the default Content-Type, and a method the server does not answer refused."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    routes = {"https://t.test/a": httpmock.status(200, 0.0),
              "https://t.test/moved": httpmock.redirect("https://t.test/a", 0.0),
              "https://t.test/down": httpmock.status(503, 0.0)}
    with httpmock.MockServer(routes) as server:
        moved = requests.get("https://t.test/moved", timeout=2)
        streamed = requests.get("https://t.test/a", stream=True)
        body = b"".join(streamed.iter_content(8)).decode()
        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[503],
                                                                backoff_factor=0)))
        with pytest.raises(requests.exceptions.RetryError):
            session.get("https://t.test/down")
        with pytest.raises(requests.ConnectionError, match="TRACE"):
            requests.request("TRACE", "https://t.test/a")
    assert (moved.status_code, moved.url, [r.status_code for r in moved.history]) == (
        200, "https://t.test/a", [301])
    assert moved.headers["Content-Type"] == "text/plain" and body == httpmock.BODY
    requests_seen = [(r["url"], r["outcome"], r["timeout"]) for r in server.snapshot()["requests"]]
    assert requests_seen == [("https://t.test/moved", "301", 2.0), ("https://t.test/a", "200", 2.0),
                             ("https://t.test/a", "200", None)] + [("https://t.test/down", "503", None)] * 3


@pytest.mark.sandbox
def test_the_linger_ends_once_the_threads_left_running_can_do_nothing_more() -> None:
    """A body that leaves a thread waiting untimed for good (a worker on an empty queue): the
    60 s linger ends at once, with the thread still waiting (nothing more could be recorded)."""
    assert _alone("""
        import threading
        from types import SimpleNamespace
        from grader.checks.downloader import harness
        from grader.checks.downloader import mock as httpmock

        never = threading.Event()
        left = []

        def body():
            left.append(threading.Thread(target=never.wait, daemon=True))
            left[0].start()

        server = httpmock.SequencedServer(lambda url: httpmock.status(200, 0.0), lambda url: 0.0,
                                          first_target=3)
        server.passive.add(threading.get_native_id())  # this thread only joins, as the child's does

        def run():
            harness.run_against(SimpleNamespace(filename="downloader.py"), server, body,
                                name="grader-call", daemon=True, wait=30.0,
                                finished=lambda runner: not runner.is_alive(), linger=60.0,
                                settled=lambda threads: False)

        ended = threading.Thread(target=run, daemon=True)
        ended.start()
        ended.join(30)
        print(not ended.is_alive(), left[0].is_alive())
    """) == "True True"
