"""The grader's HTTP, in the child: every request a downloader makes is answered here, in-process.

`routes` (what a URL answers), `records` (one request as the server saw it), `dispatch` (the one
route every request takes, for the child's life), `transport` (requests' HTTPAdapter.send
replaced by that route), `via_urllib` (urllib answered alike), `server` (`MockServer`, the gated
server), `warped` (`WarpedServer`, the same on a clock that skips idle time), `sequenced`
(`SequencedServer`, one answer at a time), `recorder` (the student's output, timestamped) and
`timeline` (the chart in the feedback). The names a check needs are importable from here.
"""
from grader.checks.downloader.mock.dispatch import UNMOCKED, install, uninstall
from grader.checks.downloader.mock.records import Record
from grader.checks.downloader.mock.recorder import StdoutRecorder, capturing
from grader.checks.downloader.mock.routes import BODY, Route, connection_error, normalize, \
    read_timeout, redirect, slow_response, status
from grader.checks.downloader.mock.sequenced import Phase, SequencedServer
from grader.checks.downloader.mock.server import MockServer
from grader.checks.downloader.mock.warped import WarpedServer
from grader.checks.downloader.mock.timeline import in_flight_steps, render_timeline

__all__ = ["BODY", "UNMOCKED", "MockServer", "Phase", "Record", "Route", "SequencedServer",
           "StdoutRecorder", "WarpedServer", "capturing", "connection_error", "in_flight_steps",
           "install", "normalize", "read_timeout", "redirect", "render_timeline", "slow_response",
           "status", "uninstall"]
