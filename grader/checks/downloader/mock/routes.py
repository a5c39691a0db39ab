"""What a mocked URL answers (`Route` and the helpers that make one), the form URLs are compared
in, and the read timeout a request was given: the vocabulary of the grader's HTTP servers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every page's body, whatever its status: it must not read as a status line (a program that
# prints the body instead of the status code must not pass for printing the code), so it holds
# no number, no URL and no failure word, and it is shorter than 100 characters, so that its
# length (`len(r.text)`) is no status code either.
BODY = "<html><body><p>A page served by the grader.</p></body></html>\n"


@dataclass(frozen=True)
class Route:
    """The answer of one mocked URL, `latency` seconds after the gate lets the request go.

    kind: "status" (answer `status`), "redirect" (answer `status` with a Location header to
    `location`), "connection_error" (raise requests' ConnectionError) or "timeout" (a response
    that would take `slow` seconds: a request whose read timeout is shorter raises ReadTimeout;
    one without a timeout waits `hang` seconds, standing in for the slow answer, and gets 200).
    """

    kind: str = "status"
    status: int = 200
    latency: float = 0.1
    location: str | None = None
    slow: float = 30.0
    hang: float = 1.0

    def describe(self) -> str:
        if self.kind == "redirect":
            return f"{self.status} -> {self.location}"
        if self.kind == "connection_error":
            return "raises ConnectionError"
        if self.kind == "timeout":
            return f"answers after {self.slow:g} s (a Timeout for any shorter timeout)"
        return str(self.status)


def status(code: int, latency: float) -> Route:
    return Route("status", code, latency)


def redirect(location: str, latency: float, code: int = 301) -> Route:
    return Route("redirect", code, latency, location=location)


def connection_error(latency: float) -> Route:
    return Route("connection_error", 0, latency)


def slow_response(latency: float, slow: float = 30.0, hang: float = 1.0) -> Route:
    return Route("timeout", 200, latency, slow=slow, hang=hang)


def normalize(url: str) -> str:
    """The form URLs are compared in: without fragment and trailing slash."""
    return url.split("#", 1)[0].rstrip("/")


def read_timeout(value: Any) -> float | None | str:
    """The read timeout requests was given: a number, None, or "?" when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2:
        value = value[1]
        if value is None:
            return None
    elif hasattr(value, "read_timeout"):  # a urllib3 Timeout object
        value = getattr(value, "read_timeout", None)
        if value is None or not isinstance(value, (int, float)):
            return None if value is None else "?"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    return float(value)
