"""urllib's http and https handlers, routed to the grader's servers and recorded as such.

A request made with urllib is answered like one made with requests, so that a program
downloading with urllib is judged on what it does, and recorded with `client="urllib"`: the
no-network checks name it, for the exercise asks for requests. A URL no server answers goes on
to urllib's own handler, where the network guard blocks it. Installed and removed by
`dispatch`, which passes its own lookup of the server that answers a URL.
"""
from __future__ import annotations

import io
from typing import Any, Callable


class UrllibRequest:
    """What a server reads of a request made with urllib (`MockServer.handle`)."""

    def __init__(self, url: str, method: str, timeout: Any) -> None:
        import socket

        self.url, self.method = url, method
        default = timeout is getattr(socket, "_GLOBAL_DEFAULT_TIMEOUT", None)
        self.req_kwargs = {"timeout": None if default else timeout}


_OPENERS: dict[Any, Callable[..., Any]] = {}  # handler class -> its own open method


def _open(original: Callable[..., Any], owner: Callable[[str], Any]) -> Callable[..., Any]:
    def open_(handler: Any, req: Any) -> Any:
        url = req.full_url
        server = owner(url)
        if server is None:
            return original(handler, req)
        return _answer(server, UrllibRequest(url, req.get_method(), req.timeout))
    return open_


def _answer(server: Any, request: UrllibRequest) -> Any:
    import email.message
    import http.client
    import socket
    import urllib.error
    import urllib.response

    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import ReadTimeout

    try:
        code, headers, body = server.handle(request)
    except ReadTimeout:
        raise socket.timeout("The read operation timed out") from None
    except RequestsConnectionError as exc:
        raise urllib.error.URLError(ConnectionRefusedError(str(exc))) from None
    message = email.message.Message()
    message["Content-Type"] = "text/html; charset=utf-8"
    for name, value in headers.items():
        message[name] = value
    answer = urllib.response.addinfourl(io.BytesIO(body.encode()), message, request.url, code)
    answer.msg = answer.reason = http.client.responses.get(code, "")  # type: ignore[attr-defined]
    return answer


def install(owner: Callable[[str], Any]) -> None:  # with the dispatcher's lock held
    """Route urllib's http and https handlers through `owner(url)`, the server answering it."""
    import urllib.request

    for cls, name in ((urllib.request.HTTPHandler, "http_open"),
                      (getattr(urllib.request, "HTTPSHandler", None), "https_open")):
        if cls is not None and cls not in _OPENERS:
            _OPENERS[cls] = getattr(cls, name)
            setattr(cls, name, _open(_OPENERS[cls], owner))


def uninstall() -> None:  # with the dispatcher's lock held
    import urllib.request

    for cls, original in _OPENERS.items():
        setattr(cls, "https_open" if cls is getattr(urllib.request, "HTTPSHandler", None)
                else "http_open", original)
    _OPENERS.clear()
