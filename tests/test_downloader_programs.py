"""Every downloader submission is graded as the program it is (issue 18, items 1 and 8).

The programs under tests/programs/downloader/ were written for these tests, each with a buggy
twin where one exists. The grader runs each file as `__main__` against its own HTTP server;
a program without download_pages is graded on what it does for the same 20 points, and the
names check (`api`, 0 points) only says which names were expected.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.grading import GradeReport, grade
from grader.rubric import Rubric

PROGRAMS = Path(__file__).resolve().parent / "programs" / "downloader"


def graded(rubric: Rubric, name: str) -> tuple[GradeReport, dict[str, Any]]:
    report = grade(rubric, "downloader", PROGRAMS / name)
    assert report.error is None, report.error
    return report, {c.id: c for c in report.checks}


def lost(report: GradeReport) -> set[str]:
    """The checks that cost points (the names check costs none by default)."""
    return {c.id for c in report.checks if c.status != "passed" and not c.bonus and c.max_score}


def explain(report: GradeReport) -> str:
    return "\n".join(f"{c.id}: {c.status}: {c.message}" for c in report.checks)


@pytest.mark.parametrize("name", ["main_thread_per_url.py", "fetcher_class_main.py",
                                  "one_url_bare_codes.py", "http_then_https.py",
                                  "numbered_requests.py", "named_sites_as_completed.py",
                                  "coloured_codes.py"])
def test_a_correct_program_of_any_shape_gets_full_marks(rubric: Rubric, name: str) -> None:
    report, checks = graded(rubric, name)
    assert report.style == "program"
    assert lost(report) == set(), explain(report)
    assert checks["api"].status == "note" and checks["api"].max_score == 0  # names: information
    assert report.score >= report.max_score == 20


def test_the_names_check_of_a_program_says_what_was_expected_and_what_is_there(rubric: Rubric) -> None:
    _, checks = graded(rubric, "main_thread_per_url.py")
    message = checks["api"].message
    assert "download_pages" in message and "check, main" in message
    assert "graded as a program on what it does when run" in message.lower()


def test_threads_started_in_main_are_run_and_printing_at_the_end_is_found(rubric: Rubric) -> None:
    report, checks = graded(rubric, "main_thread_per_url_report_at_end.py")
    assert report.style == "program"
    assert lost(report) == {"script_completion_order"}, explain(report)
    assert "printed late" in checks["script_completion_order"].message


def test_a_thread_subclass_downloading_with_urllib_is_graded_and_loses_the_requests_point(
        rubric: Rubric) -> None:
    report, checks = graded(rubric, "fetcher_class_urllib.py")
    assert report.style == "program"
    assert lost(report) == {"script_no_network"}, explain(report)
    message = checks["script_no_network"].message
    assert "urllib.request.urlopen() (fetcher_class_urllib.py line 14), not requests" in message
    assert report.score >= report.max_score - 1  # extra credit aside, one point lost


def test_a_program_talking_http_itself_is_blocked_and_its_call_named(rubric: Rubric) -> None:
    report, checks = graded(rubric, "raw_http_client.py")
    runs = checks["script_runs"]
    assert runs.status == "failed"
    assert "http.client.HTTPSConnection() (raw_http_client.py line 10), not requests" in runs.message
    assert report.score == 0


def test_a_download_pages_with_another_signature_is_graded_as_the_program_it_is(
        rubric: Rubric) -> None:
    report, checks = graded(rubric, "narrow_signature_main.py")
    assert report.style == "program"
    assert checks["api"].status == "note" and "cannot be called" in checks["api"].message
    assert lost(report) == set(), explain(report)


def test_a_program_fetching_one_url_may_print_the_bare_code(rubric: Rubric) -> None:
    _, checks = graded(rubric, "one_url_bare_codes.py")
    assert checks["script_status_lines"].status == "passed"
    assert checks["script_completion_order"].status == "passed"


def test_bare_codes_printed_in_submission_order_are_late(rubric: Rubric) -> None:
    report, checks = graded(rubric, "one_url_bare_codes_in_order.py")
    assert checks["script_status_lines"].status == "passed"
    assert lost(report) == {"script_completion_order"}, explain(report)


def test_one_summary_line_of_codes_is_no_status_line(rubric: Rubric) -> None:
    report, checks = graded(rubric, "one_url_summary_line.py")
    assert checks["script_status_lines"].status == "failed"
    assert "no line shows https://api.example.com/health" in checks["script_status_lines"].message
    assert checks["script_completion_order"].status == "skipped"


def test_a_task_trying_http_then_https_prints_both_at_its_end_in_time(rubric: Rubric) -> None:
    _, checks = graded(rubric, "http_then_https.py")
    order = checks["script_completion_order"]
    assert order.status == "passed", order.message
    assert "http://alpha.example.org" in order.details and "https://alpha.example.org" in order.details


def test_a_task_whose_thread_pauses_between_its_two_lines_is_on_time(rubric: Rubric) -> None:
    # The server answers the next request once the task's first line is out; the second line
    # comes from the same thread after a pause, so another answer always goes out between them.
    report, checks = graded(rubric, "http_then_https_paced.py")
    assert lost(report) == set(), explain(report)
    assert checks["script_completion_order"].status == "passed"


def test_a_task_whose_second_line_is_printed_by_main_at_the_end_is_late(rubric: Rubric) -> None:
    report, checks = graded(rubric, "http_then_https_second_at_end.py")
    assert lost(report) == {"script_completion_order"}, explain(report)
    message = checks["script_completion_order"].message
    assert message.startswith("3 status line(s) printed late: https://"), message


def test_codes_without_urls_printed_by_main_after_the_joins_are_no_status_lines(rubric: Rubric) -> None:
    report, checks = graded(rubric, "numbered_codes_after_join.py")
    assert lost(report) == {"script_status_lines", "script_completion_order"}, explain(report)
    assert "4 of 4 URL(s) without a status line" in checks["script_status_lines"].message


def test_a_main_thread_joining_workers_that_wait_forever_loses_only_the_waits_points(rubric: Rubric) -> None:
    # Every thread waits for good once the downloads are done: the run ends there, not at the
    # 30 s deadline, and the rest is judged on what the program did.
    report, checks = graded(rubric, "queue_workers_one_sentinel.py")
    assert lost(report) == {"script_waits"}, explain(report)
    message = checks["script_waits"].message
    assert message.startswith("the script never exits: its main thread waits forever"), message
    assert "(2 other thread(s), running worker)" in message and "one None per worker" in message
    assert "waited for good" in checks["script_runs"].message


def test_a_thread_target_reading_the_loop_variable_late_fails_shared_state(rubric: Rubric) -> None:
    report, checks = graded(rubric, "lambda_reads_loop_url.py")
    message = checks["script_shared_state"].message
    assert checks["script_shared_state"].status == "failed"
    assert message.startswith("a thread reads `url`, which its loop sets, when it runs"), message
    assert "`lambda: fetch(url)` (lambda_reads_loop_url.py line 21)" in message


def test_a_failure_that_leaves_its_work_undone_costs_the_error_handling_credit(rubric: Rubric) -> None:
    report, checks = graded(rubric, "task_done_skipped_on_error.py")
    assert lost(report) == set(), explain(report)  # every URL answering, it ends and is right
    errors = checks["script_errors"]
    assert errors.status == "failed" and errors.bonus
    assert errors.message.startswith("with failing URLs the script never ended"), errors.message


def test_a_worker_printing_two_hosts_after_the_second_is_late(rubric: Rubric) -> None:
    report, checks = graded(rubric, "two_hosts_per_worker_at_end.py")
    assert lost(report) == {"script_completion_order"}, explain(report)
    assert "printed late" in checks["script_completion_order"].message


def test_a_program_printing_page_bodies_instead_of_codes_fails_status_lines(rubric: Rubric) -> None:
    report, checks = graded(rubric, "prints_bodies.py")
    status = checks["script_status_lines"]
    assert status.status == "failed" and "no line shows" in status.message
    assert "A page served by the grader" in status.details  # what it printed instead
    assert "200" not in status.details.split("your output:")[1]


def test_a_demo_call_left_at_module_level_is_answered_at_import_and_costs_nothing(
        rubric: Rubric) -> None:
    # Its `requests.get`s run when the grader imports the module, before any call of the
    # grader's: they are answered (every URL 200) and are no network attempt.
    report, checks = graded(rubric, "demo_at_import.py")
    assert report.style == "contract"
    assert lost(report) == set(), explain(report)
    assert report.score >= report.max_score == 20
    assert "the 3 request(s) your module's top level made when it was imported" in \
        checks["no_network"].message


def test_a_demo_downloading_with_urllib_at_module_level_still_fails_no_network(
        rubric: Rubric) -> None:
    report, checks = graded(rubric, "demo_at_import_urllib.py")
    assert report.style == "contract"
    assert lost(report) == {"no_network"}, explain(report)
    message = checks["no_network"].message
    assert "downloads with urllib, not requests, when it is imported" in message
    assert "https://www.python.org" in message


def test_after_the_import_a_demo_host_requested_in_the_graders_calls_is_refused(
        rubric: Rubric) -> None:
    # The import's server answered every URL; once the import is over it answers none, so a
    # host download_pages was not given is blocked and named, demo host or not.
    report, checks = graded(rubric, "demo_at_import_online_check.py")
    assert report.style == "contract"
    assert lost(report) == {"no_network"}, explain(report)
    assert "requested a URL it was not given (GET https://www.python.org/)" in \
        checks["no_network"].message
