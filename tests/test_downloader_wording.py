"""Which printed lines count as a downloader's status line (grader.checks.downloader.wording).

A human grader accepts any clear wording: the URL (or a part of it no other URL shares) with
the status code, or for a request that raised, with a failure mark. These run in this
process, on plain strings.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from grader.checks.downloader import wording

URLS = ["https://dl.test/ok", "https://dl.test/missing", "https://dl.test/slow",
        "https://dl.test/refused", "https://www.example.com", "https://www.python.org/"]
NAMES = wording.names(URLS)


def reported(text: str, url: str, outcome: str) -> bool:
    hit = wording.named_url(text, NAMES)
    return hit is not None and hit[0] == url and wording.reports_outcome(hit[1], outcome)


@pytest.mark.parametrize("text", [
    "[failed] https://dl.test/slow: ReadTimeout",
    "https://dl.test/slow  FAILED  ReadTimeout",
    "failed: https://dl.test/slow ConnectionError",
    "https://dl.test/slow: failed with ConnectionError",
    "https://dl.test/slow error ReadTimeout",
    "ERROR https://dl.test/slow -> HTTPSConnectionPool(...): Read timed out.",
    "dl.test/slow: Timeout",
    "slow -> exception",
    "WARNING:root:https://dl.test/slow failure",
])
def test_each_failure_wording_reports_a_request_that_raised(text: str) -> None:
    assert reported(text, "https://dl.test/slow", "ReadTimeout")


@pytest.mark.parametrize("text", [
    "https://dl.test/missing 404",
    "https://dl.test/missing: 404",
    "URL: https://dl.test/missing, Status Code: 404",
    "404 <- https://dl.test/missing/",
    "dl.test/missing -> 404 | 0.012 sec | OK",
    "missing 404",
    "INFO:downloader:Fetched https://dl.test/missing (status=404)",
])
def test_each_success_wording_reports_the_status_code(text: str) -> None:
    assert reported(text, "https://dl.test/missing", "404")


@pytest.mark.parametrize("text", [
    "https://www.example.com 200",
    "www.example.com 200",
    "example.com: 200",
    "Status of https://www.python.org: 200",
])
def test_the_host_alone_names_a_url_when_no_other_url_shares_it(text: str) -> None:
    url = "https://www.example.com" if "example" in text else "https://www.python.org/"
    assert reported(text, url, "200")


@pytest.mark.parametrize("text", [
    "done",
    "200",  # a code without a URL: which download?
    "https://dl.test/ok",  # a URL without a code
    "dl.test 200",  # the host every dl.test URL shares names none of them
    "okay 200",  # `ok` is too short to stand for https://dl.test/ok, and not a whole word here
    "slowly 200",  # a part of a URL counts only as a whole word
])
def test_a_line_with_neither_an_unambiguous_url_nor_its_outcome_reports_nothing(text: str) -> None:
    assert not any(reported(text, url, outcome) for url in URLS for outcome in ("200", "404"))


def test_a_code_is_not_a_failure_mark_and_a_failure_mark_is_not_a_code() -> None:
    assert not reported("https://dl.test/missing error", "https://dl.test/missing", "404")
    assert not reported("https://dl.test/slow None", "https://dl.test/slow", "ReadTimeout")
    assert not reported("https://dl.test/missing 4040", "https://dl.test/missing", "404")
    assert not reported("https://dl.test/missing 0.404s", "https://dl.test/missing", "404")


def test_a_summary_line_naming_several_urls_reports_none_of_them() -> None:
    line = "{'https://dl.test/ok': 200, 'https://dl.test/missing': 404}"
    assert wording.named_url(line, NAMES) is None


def test_a_url_inside_a_longer_one_is_not_a_second_url() -> None:
    names = wording.names(["https://x.test/a", "https://x.test/ab"])
    assert wording.named_url("https://x.test/ab 200", names)[0] == "https://x.test/ab"
    assert wording.named_url("https://x.test/a 200", names)[0] == "https://x.test/a"


def test_status_lines_keep_stdout_and_stderr_lines_alike() -> None:
    lines = [{"t": 0.1, "text": "https://dl.test/ok 200", "thread": 1, "stream": "stdout"},
             {"t": 0.2, "text": "ERROR:root:https://dl.test/slow failed", "thread": 2,
              "stream": "stderr"},
             {"t": 0.3, "text": "starting https://dl.test/missing", "thread": 1,
              "stream": "stdout"}]
    found = wording.status_lines(lines, NAMES)
    assert [ln["text"] for ln in found["https://dl.test/ok"]] == ["https://dl.test/ok 200"]
    assert [ln["stream"] for ln in found["https://dl.test/slow"]] == ["stderr"]
    assert found["https://dl.test/missing"] == []  # says nothing about how it went


def line(text: str, t: float = 0.1) -> dict:
    return {"t": t, "text": text, "thread": 1, "stream": "stdout"}


@pytest.mark.parametrize("text", ["200", "Status: 200", "got 200 after 0.25 s"])
def test_a_bare_code_reports_the_only_url_a_program_fetched(text: str) -> None:
    parts, _ = wording.site_names(["https://api.example.com/health"])
    found = wording.status_lines([line(text)], parts)
    assert [ln["text"] for ln in found["https://api.example.com/health"]] == [text]


@pytest.mark.parametrize("text", [
    "[200, 200, 404]",  # a summary of codes, not a line per download
    "200 then 200",
    "took 0.200 s",  # not a code of its own
    "https://other.example.org/ 200",  # about some other address
])
def test_a_line_without_a_single_bare_code_reports_nothing_even_for_one_url(text: str) -> None:
    parts, _ = wording.site_names(["https://api.example.com/health"])
    assert wording.status_lines([line(text)], parts) == {"https://api.example.com/health": []}


def test_a_bare_code_reports_nothing_when_two_urls_were_fetched() -> None:
    parts, _ = wording.site_names(["https://a.example.com/", "https://b.example.com/"])
    found = wording.status_lines([line("200")], parts)
    assert found == {"https://a.example.com": [], "https://b.example.com": []}


def request(thread: int, url: str, end: float, ident: int = 1) -> dict:
    return {"id": ident, "thread": thread, "url": url, "end": end}


@pytest.mark.parametrize("text", ["Request 2 finished with status 404", "404", "worker: failed"])
def test_a_threads_own_report_without_a_url_reports_its_last_answered_request(text: str) -> None:
    urls = ["https://a.example.com/", "https://b.example.com/"]
    parts, site_of = wording.site_names(urls)
    owner = wording.last_answered([request(1, urls[0], 0.05, 1), request(2, urls[1], 0.02, 2),
                                   request(1, urls[1], 0.2, 3)], site_of)
    found = wording.status_lines([{**line(text), "thread": 2}, {**line(text), "thread": 1}], parts, owner)
    assert [ln["thread"] for ln in found["https://b.example.com"]] == [2]  # thread 1's is later
    assert [ln["thread"] for ln in found["https://a.example.com"]] == [1]


@pytest.mark.parametrize("text", ["[200, 404]", "codes 200 404", "done", "see https://x.example.com 200"])
def test_a_line_without_a_url_that_is_no_single_report_is_nobodys(text: str) -> None:
    urls = ["https://a.example.com/", "https://b.example.com/"]
    parts, site_of = wording.site_names(urls)
    owner = wording.last_answered([request(1, urls[0], 0.05)], site_of)
    assert wording.status_lines([line(text)], parts, owner) == {
        "https://a.example.com": [], "https://b.example.com": []}


def test_a_line_from_a_thread_that_made_no_request_reports_the_answer_it_was_taken_for() -> None:
    urls = ["https://a.example.com/", "https://b.example.com/"]
    parts, site_of = wording.site_names(urls)
    taken = {**request(2, urls[1], 0.15, 2), "reported_by": [0.2, 3]}
    owner = wording.last_answered([request(1, urls[0], 0.05, 1), taken], site_of)
    lines = [{**line("Python: 200", t=t), "thread": 3} for t in (0.1, 0.2, 0.3)]
    found = wording.status_lines(lines, parts, owner)
    # Only the line the server took as an answer's reaction is that answer's; one printed
    # while it waited on nothing (after the joins) says nothing it could tell apart.
    assert found == {"https://a.example.com": [], "https://b.example.com": [{**lines[1], "rest": "Python: 200"}]}


def test_http_and_https_of_one_host_are_one_site() -> None:
    assert wording.site("http://www.Example.COM/") == wording.site("https://example.com") == "example.com"
    assert wording.site("https://example.com/a") != wording.site("https://example.com/b")


def test_a_site_fetched_twice_is_named_by_its_host_or_either_address() -> None:
    urls = ["http://alpha.example.org/", "https://alpha.example.org/", "https://bravo.example.net/"]
    parts, site_of = wording.site_names(urls)
    alpha = site_of["https://alpha.example.org"]
    assert site_of["http://alpha.example.org"] == alpha != site_of["https://bravo.example.net"]
    found = wording.status_lines([line("http://alpha.example.org/ 404", 0.1),
                                  line("https://alpha.example.org/ 200", 0.2),
                                  line("alpha.example.org: 200", 0.3),
                                  line("https://bravo.example.net 503", 0.4)], parts)
    assert [ln["t"] for ln in found[alpha]] == [0.1, 0.2, 0.3]
    assert [ln["t"] for ln in found["https://bravo.example.net"]] == [0.4]


def test_the_mock_pages_body_is_no_status_line() -> None:
    from grader.checks.downloader.mock import BODY

    parts, _ = wording.site_names(["https://api.example.com/health"])
    assert not wording.looks_like_status(BODY)
    assert wording.status_lines([line(BODY.strip())], parts) == {"https://api.example.com/health": []}
    assert len(BODY) < 100  # its length is no status code either


class _Lines:
    """A recorder's view for reaction_test: the lines printed so far."""

    def __init__(self, lines: list[dict]) -> None:
        self.lines = lines

    def since(self, index: int) -> list[dict]:
        return self.lines[index:]


def _answered(thread: int, url: str) -> SimpleNamespace:
    return SimpleNamespace(id=1, ident=thread, thread=thread, url=url, released=0.1, end=0.1,
                           start=0.0, outcome="404", reported_by=None)


@pytest.mark.parametrize("thread, text, reacted", [
    (2, "Request 2 finished with status 404", True),  # the answered thread's own report
    (1, "Request 2 finished with status 404", False),  # another downloader's: not its reaction
    (3, "Python: 404", True),  # a thread that made no request (main's as_completed loop)
    (2, "Request 2 is starting", False),  # no status
    (3, "https://b.example.com/ 404", True),  # named: whoever prints it
])
def test_the_server_takes_the_answered_threads_own_report_as_its_reaction(
        thread: int, text: str, reacted: bool) -> None:
    record = _answered(2, "https://b.example.com/")
    server = SimpleNamespace(records=[record, _answered(1, "https://a.example.com/")])
    test = wording.reaction_test(server, _Lines([{**line(text, t=0.2), "thread": thread}]))
    assert test(record) is reacted
    # The judge is told which line a thread that made no request reacted with.
    assert record.reported_by == ((0.2, 3) if thread == 3 and "://" not in text else None)


def test_the_answer_still_awaited_when_the_run_ends_gets_one_last_look() -> None:
    """The program's last line can come just as its run ends, before the conductor looks: the
    harness looks once more before the snapshot, so the reaction is kept (a main thread's line
    naming no URL is attributed only through it)."""
    from grader.checks.downloader.mock import SequencedServer, status

    server = SequencedServer(lambda url: status(200, 0.0), lambda url: 0.0, first_target=2)
    record = _answered(3, "https://a.example.com/")
    server._awaiting = record
    server.reported = wording.reaction_test(server, _Lines([{**line("Docs: 404", t=0.2), "thread": 7}]))
    server.records.extend([record, _answered(4, "https://b.example.com/")])
    server.last_look()
    assert record.reported_by == (0.2, 7)


@pytest.mark.parametrize("text", ["\x1b[33m404\x1b[0m https://a.example.com/",
                                  "\\x1b[33m404\\x1b[0m https://a.example.com/"])
def test_a_code_in_colour_is_read_as_the_terminal_shows_it(text: str) -> None:
    """In the child the escape is the character; the parent gets it written out (\\x1b)."""
    parts, _ = wording.site_names(["https://a.example.com/", "https://b.example.com/"])
    hit = wording.line_url(text, parts)
    assert hit is not None and hit[0] == "https://a.example.com"
    assert wording.reports_outcome(hit[1], "404")
