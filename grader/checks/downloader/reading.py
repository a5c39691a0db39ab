"""Reading a contract run's observation (grader side): the returned dict, the requests of each
input URL (with its redirect), the status lines that report it, and the timeline shown with a
verdict. Shared by the judges of `returned`, `requests_made` and `printing`."""
from __future__ import annotations

from typing import Any

from grader.checks.downloader import wording
from grader.checks.downloader.mock import normalize, render_timeline
from grader.probes.probing import OPAQUE, exc_text
from grader.probes.registry import JudgeContext, Verdict, failed


def result_map(obs: dict[str, Any]) -> dict[str, Any] | None:
    result = obs["call"].get("result")
    if not result or result.get("type") != "dict" or "entries" not in result:
        return None
    out: dict[str, Any] = {}
    for key, value in result["entries"]:
        if isinstance(key, str):
            out[key] = value
    return out


def lookup(result: dict[str, Any], url: str) -> tuple[bool, Any]:
    if url in result:
        return True, result[url]
    for key, value in result.items():
        if normalize(key) == normalize(url):
            return True, value
    return False, None


def show(value: Any) -> str:
    if isinstance(value, dict) and OPAQUE in value:
        return f"a {value[OPAQUE]} object"
    return repr(value)


def aliases(obs: dict[str, Any]) -> dict[str, list[str]]:
    """Each input URL and the URLs that stand for it in lines and requests (redirect targets)."""
    out = {}
    for url in obs["urls"]:
        names = [url]
        route = obs["routes"].get(url)
        if route and route["location"]:
            names.append(route["location"])
        out[url] = names
    return out


def chains(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The server's requests grouped by the input URL they belong to."""
    owner = {normalize(a): url for url, names in aliases(obs).items() for a in names}
    out: dict[str, list[dict[str, Any]]] = {url: [] for url in obs["urls"]}
    for r in obs["server"]["requests"]:
        url = owner.get(normalize(r["url"]))
        if url is not None:
            out[url].append(r)
    return out


def final_outcome(requests: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The request whose answer the student got last for one URL (after redirects)."""
    ended = [r for r in requests if r["end"] is not None]
    return max(ended, key=lambda r: (r["end"], r["id"])) if ended else None


def answer_times(obs: dict[str, Any]) -> dict[str, float]:
    """When the grader let each URL's final answer go (after its redirects)."""
    out = {}
    for url, reqs in chains(obs).items():
        last = final_outcome(reqs)
        if last is not None and last["released"] is not None:
            out[url] = last["released"]
    return out


def line_names(obs: dict[str, Any]) -> dict[str, list[str]]:
    """For each input URL, the ways a line may name it (its redirect target's names included)."""
    every = wording.names([a for names in aliases(obs).values() for a in names])
    return {url: [part for a in names for part in every[a]] for url, names in aliases(obs).items()}


def status_lines(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """For each input URL, the printed lines that report its outcome (a code or a failure)."""
    return wording.status_lines(obs["lines"], line_names(obs))


def line_matches(line: dict[str, Any], outcome: str) -> bool:
    return wording.reports_outcome(line["rest"], outcome)


def expected_line(outcome: str) -> str:
    return wording.describe_accepted(outcome)


def timeline(obs: dict[str, Any], show_prints: bool = True) -> str:
    prints: dict[int, list[float]] = {}
    if show_prints:
        found = status_lines(obs)
        for url, reqs in chains(obs).items():
            last = final_outcome(reqs)
            if last is not None and found[url]:
                prints[last["id"]] = [line["t"] for line in found[url]]
    call = obs["call"]
    end = None if call["finished"] else call["started_at"] + call["deadline"]
    return render_timeline(obs["server"]["requests"], prints=prints,
                           returned_at=call["returned_at"], gate=obs["server"]["gate"], end=end,
                           returned_label="download_pages returned")


def call_problem(obs: dict[str, Any], name: str = "download_pages") -> Verdict | None:
    """A failed verdict when the call did not return a dict, else None."""
    call = obs["call"]
    if not call["finished"]:
        return failed(f"{name} did not return within {call['deadline']:g} s (a deadlock, a thread "
                      "that never finishes, or a join on the wrong thread?)", timeline(obs))
    if call["error"]:
        return failed(f"{name} raised {exc_text(call['error'])}", timeline(obs))
    if result_map(obs) is None:
        kind = (call["result"] or {}).get("type", "?")
        return failed(f"{name} returned a {kind}, expected a dict {{url: status_code or None}}")
    return None


def short_exc(info: dict[str, Any]) -> str:
    return info["type"] + (f" (at {info['where']})" if info.get("where") else "")


def call_signature(obs: dict[str, Any]) -> str:
    return (f"download_pages({len(obs['urls'])} URLs, max_workers={obs['max_workers']}, "
            f"timeout={obs['timeout']:g})")


def no_request_message(obs: dict[str, Any]) -> str:
    """Why a check about requests cannot pass: none was made (and what happened instead)."""
    call = obs["call"]
    why = ""
    if call["finished"] and call["error"]:
        why = f"; {call_signature(obs)} raised {exc_text(call['error'])}"
    elif not call["finished"]:
        why = f"; {call_signature(obs)} did not return within {call['deadline']:g} s"
    return f"no request reached the grader's server (download each URL with requests.get){why}"


def network_attempts(obs: dict[str, Any], ctx: JudgeContext) -> list[str]:
    """Connections refused during the probe: the child's network guard's (on the envelope) and
    those the probe itself recorded."""
    seen: list[str] = []
    for what in list(ctx.network) + list(obs.get("network", [])):
        if what not in seen:
            seen.append(what)
    return seen
