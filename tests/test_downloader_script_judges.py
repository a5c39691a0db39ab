"""The downloader program judges on a recorded observation: no child, no HTTP server, only what
each judge decides from what the `downloader.script` probe saw.

RECORDED was taken once from the probe, run in-process on a script of two threads, one per URL,
each calling requests.get(url, timeout=5) and printing the URL and its status code; the main
thread starts both, then joins both. Each test changes the one fact its verdict turns on.
"""
from __future__ import annotations

import copy
from typing import Any

import pytest

from grader.probes.registry import CHECKS, JudgeContext, load_all

load_all()

RECORDED: dict[str, Any] = {
    "finished": True,
    "error": None,
    "ended_at": 0.093,
    "main_ended_at": 0.0926,
    "never_end": [],
    "in_flight_at_end": 0,
    "deadline": 30.0,
    "own_urls": [
        "https://one.example",
        "https://two.example/a"
    ],
    "routes": {
        "https://two.example/a": "404",
        "https://one.example": "200"
    },
    "server": {
        "requests": [
            {
                "id": 1,
                "url": "https://one.example/",
                "method": "GET",
                "thread": 1,
                "start": 0.004,
                "released": 0.0919,
                "end": 0.092,
                "outcome": "200",
                "timeout": 5.0,
                "in_flight": 1,
                "phase": 0,
                "answered": 2,
                "client": "requests"
            },
            {
                "id": 2,
                "url": "https://two.example/a",
                "method": "GET",
                "thread": 2,
                "start": 0.0089,
                "released": 0.0597,
                "end": 0.0598,
                "outcome": "404",
                "timeout": 5.0,
                "in_flight": 2,
                "phase": 0,
                "answered": 1,
                "client": "requests"
            }
        ],
        "dropped": 0,
        "peak": 2,
        "in_flight": 0,
        "gate": {
            "target": 2,
            "opened": True,
            "count": 2,
            "at": 0.0596,
            "reason": "target"
        },
        "unmocked": [],
        "late": [],
        "phases": [
            {
                "at": 0.0596,
                "count": 2,
                "target": 2,
                "reason": "target",
                "concurrent": True
            }
        ],
        "unanswered": 0,
        "planned": {
            "https://one.example": "200",
            "https://two.example/a": "404"
        }
    },
    "lines": [
        {
            "t": 0.0602,
            "text": "https://two.example/a 404",
            "thread": 1,
            "stream": "stdout"
        },
        {
            "t": 0.0924,
            "text": "https://one.example/ 200",
            "thread": 2,
            "stream": "stdout"
        }
    ],
    "thread_errors": [],
    "network": [],
    "clients": []
}


def observed() -> dict[str, Any]:
    return copy.deepcopy(RECORDED)


def judge(check: str, obs: dict[str, Any]):
    return CHECKS[f"downloader.{check}"].judge(obs, JudgeContext({}, "downloader.py", 3))


@pytest.mark.parametrize("check", ["script_runs", "script_overlap", "script_status_lines",
                                   "script_completion_order", "script_waits", "script_no_network",
                                   "script_timeout"])
def test_the_recorded_thread_per_url_script_passes(check):
    assert judge(check, observed()).status == "passed"


def test_one_request_in_flight_at_a_time_fails_overlap():
    obs = observed()
    obs["server"]["peak"] = 1
    for request in obs["server"]["requests"]:
        request["in_flight"] = 1
    verdict = judge("script_overlap", obs)
    assert verdict.status == "failed" and "only one request was in flight at a time" in verdict.message


def test_no_status_line_names_the_url_and_the_code_it_was_answered_with():
    obs = observed()
    obs["lines"] = []
    verdict = judge("script_status_lines", obs)
    assert verdict.status == "failed"
    assert "https://one.example" in verdict.message and "(200)" in verdict.message


def test_a_script_past_its_deadline_fails_script_runs():
    obs = observed()
    obs["finished"] = False
    verdict = judge("script_runs", obs)
    assert verdict.status == "failed" and "did not finish within 30 s" in verdict.message


def test_a_request_without_timeout_fails_script_timeout_naming_its_url():
    obs = observed()
    for request in obs["server"]["requests"]:
        request["timeout"] = None
    verdict = judge("script_timeout", obs)
    assert verdict.status == "failed" and "without timeout=" in verdict.message
    assert "https://one.example/" in verdict.message


def test_ending_with_a_download_in_flight_fails_script_waits():
    obs = observed()
    obs["ended_at"], obs["in_flight_at_end"] = 0.07, 1
    verdict = judge("script_waits", obs)
    assert verdict.status == "failed" and "1 download(s) had not finished" in verdict.message


def _arrived_in_reverse(obs: dict[str, Any]) -> dict[str, Any]:
    """The same run with the server's requests and routes recorded in the other order, as when
    the other thread happened to ask first."""
    swapped = copy.deepcopy(obs)
    swapped["server"]["requests"].reverse()
    swapped["routes"] = dict(reversed(list(swapped["routes"].items())))
    swapped["server"]["planned"] = dict(reversed(list(swapped["server"]["planned"].items())))
    return swapped


@pytest.mark.parametrize("check, change", [
    ("script_timeout", lambda obs: [r.update(timeout=None) for r in obs["server"]["requests"]]),
    ("script_status_lines", lambda obs: obs.update(lines=[])),
])
def test_the_url_a_message_names_does_not_depend_on_which_thread_asked_first(check, change):
    obs = observed()
    change(obs)
    first, second = judge(check, obs), judge(check, _arrived_in_reverse(obs))
    assert first.status == second.status == "failed"
    assert first.message == second.message
