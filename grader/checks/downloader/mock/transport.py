"""requests answered in-process: `HTTPAdapter.send` replaced by a call to the grader's dispatcher.

Every request made with `requests` (`requests.get`, a Session, a mounted HTTPAdapter or a
subclass that calls `super().send`) ends in `HTTPAdapter.send`; replaced there, it never opens a
socket. What comes back is built as the `responses` library built it (which the grader used
before, for the same single catch-all route): a urllib3 `HTTPResponse` over the body, with
`Content-Type: text/plain` unless the answer sets one, turned into a `requests.Response` by the
adapter's own `build_response` (cookies, redirects, encoding as for a real answer), and the
adapter's `max_retries` honoured for retried statuses. An exception the dispatcher raises
(ConnectionError, ReadTimeout) reaches the program as requests' own would.

Why our own: `responses` is a test library of some 40 ms of imports in every child (unittest.mock,
yaml, its matchers) to route every request to one callback; this is that one callback's path.
"""
from __future__ import annotations

import io
from typing import Any, Callable

Answer = Callable[[Any], tuple[int, dict[str, str], str]]  # request -> (status, headers, body)

_ORIGINAL: list[Callable[..., Any]] = []  # HTTPAdapter.send as it was, while replaced
_KWARGS = ("stream", "timeout", "verify", "cert", "proxies")  # send()'s parameters, in order


def install(answer: Answer) -> None:
    """Route every `HTTPAdapter.send` to `answer` (idempotent: a second install is ignored)."""
    from requests.adapters import HTTPAdapter

    if _ORIGINAL:
        return

    def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.update(zip(_KWARGS, args))  # a custom adapter may pass them by position
        request.req_kwargs = kwargs  # what the server reads the read timeout from
        if hasattr(request.body, "read"):  # a file-like body, read as it would be sent
            request.body = request.body.read()
        return _respond(adapter, request, answer, None)

    _ORIGINAL.append(HTTPAdapter.send)
    setattr(HTTPAdapter, "send", send)


def uninstall() -> None:
    """Put `HTTPAdapter.send` back (tests in the grader's own process; the child never does)."""
    from requests.adapters import HTTPAdapter

    if _ORIGINAL:
        setattr(HTTPAdapter, "send", _ORIGINAL.pop())


def _respond(adapter: Any, request: Any, answer: Answer, retries: Any) -> Any:
    """One answer as a `requests.Response`, asked again while the adapter's Retry says so."""
    from requests.exceptions import RetryError
    from urllib3.exceptions import MaxRetryError

    status, headers, body = answer(request)
    response = adapter.build_response(request, _raw(status, headers, body, request.method))
    retries = retries or adapter.max_retries
    if retries.is_retry(method=request.method, status_code=response.status_code,
                        has_retry_after="Retry-After" in response.headers):
        try:
            retries = retries.increment(method=request.method, url=response.url,
                                        response=response.raw)
        except MaxRetryError as exc:
            if retries.raise_on_status:
                raise RetryError(exc, request=request) from None
            return response
        return _respond(adapter, request, answer, retries)
    return response


def _raw(status: int, headers: dict[str, str], body: str, method: str | None) -> Any:
    """The urllib3 response requests reads: body unread (stream=True works), and an original
    response whose `msg` holds the headers (what requests reads cookies from)."""
    from http.client import responses as reasons

    from urllib3.response import HTTPHeaderDict, HTTPResponse

    fields = HTTPHeaderDict()
    if not any(name.lower() == "content-type" for name in headers):
        fields["Content-Type"] = "text/plain"
    fields.extend(headers)
    empty = io.BytesIO()
    empty.close()  # urllib3 asks the original response's fp whether it is closed
    original = HTTPResponse(body=empty, msg=fields, preload_content=False)  # type: ignore[arg-type]
    return HTTPResponse(status=status, reason=reasons.get(status), body=io.BytesIO(body.encode()),
                        headers=fields, original_response=original,  # type: ignore[arg-type]
                        preload_content=False, request_method=method)
