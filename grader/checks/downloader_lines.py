"""Which printed line reports which URL, and does it say what happened (grader side, no probe).

A human grader accepts any wording: `https://x.test/a 200`, `URL: x.test/a, Status Code: 200`,
`[failed] https://x.test/slow: ReadTimeout`, `a -> ERROR`. So a line reports a URL when it names
the URL, or a part of it that no other URL shares (`x.test/a`, the host, the last path segment),
and it reports the outcome when, beside that name, it holds the status code as a number of its
own, or for a request that raised, a clear failure mark: the exception's class name or a word
such as error, failed, failure, exception, timeout. Lines from stdout, stderr and `logging`
count alike. A line naming several URLs (a summary, the whole dict) reports none of them.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Iterable

from grader.httpmock import normalize

CODE = re.compile(r"(?<![\w.])([1-5]\d\d)(?![\w.])")
FAILURE_MARK = re.compile(r"error|fail|exception|time[ds]?[ _-]?out|refused|unreachable",
                          re.IGNORECASE)
MIN_PART = 4  # a shorter part of a URL ("a", "api") is too easily found by chance


def _parts(url: str) -> list[str]:
    """The ways a line may name `url`, most specific first."""
    full = url.split("#", 1)[0]
    bare = normalize(full)
    no_scheme = re.sub(r"^[a-z][a-z0-9+.-]*://", "", bare, flags=re.IGNORECASE)
    no_www = no_scheme[4:] if no_scheme.lower().startswith("www.") else no_scheme
    host = no_scheme.split("/", 1)[0]
    tail = no_scheme.rsplit("/", 1)[-1] if "/" in no_scheme else ""
    parts = [full, bare, no_scheme, no_www, host, host.removeprefix("www.").split(":")[0]]
    if tail and not tail.isdigit():
        parts.append(tail)
    seen: list[str] = []
    for part in parts:
        if len(part) >= MIN_PART and part not in seen:
            seen.append(part)
    return seen


def names(urls: Iterable[str]) -> dict[str, list[str]]:
    """For each URL, the parts of it that name it unambiguously among `urls`.

    Redirect targets or repeated URLs are the caller's business: give each distinct URL once."""
    distinct = list(dict.fromkeys(urls))
    every = {u: _parts(u) for u in distinct}
    out: dict[str, list[str]] = {}
    for url, parts in every.items():
        mine = []
        for part in parts:
            shared = any(other != url and any(part in p for p in every[other]) for other in every)
            if not shared or part in (url, normalize(url)):
                mine.append(part)
        out[url] = mine
    return out


def named_url(text: str, parts: dict[str, list[str]]) -> tuple[str, str] | None:
    """(the URL a line names, the line with that name cut out), or None for no URL or several."""
    hits: dict[str, str] = {}
    for url, forms in parts.items():
        found = [f for f in forms if _word(f).search(text)]
        if found:
            hits[url] = max(found, key=len)
    # One URL's name inside another's (https://x/a in https://x/ab) is not a second URL.
    kept = [u for u, form in hits.items()
            if not any(o != u and form.lower() in other.lower() and len(other) > len(form)
                       for o, other in hits.items())]
    if len(kept) != 1:
        return None
    url = kept[0]
    rest = text
    for form in sorted(parts[url], key=len, reverse=True):
        rest = _word(form).sub(" ", rest)
    return url, rest


@functools.lru_cache(maxsize=4096)
def _word(part: str) -> re.Pattern[str]:
    """`part` as a whole word: `slow` names .../slow in `slow: 200`, not in `slowly`."""
    return re.compile(r"(?<!\w)" + re.escape(part) + r"(?!\w)", re.IGNORECASE)


def reports_outcome(rest: str, outcome: str) -> bool:
    """Does the rest of a line (its URL cut out) report `outcome`: a status code ("404") or
    the class name of the exception a request raised ("ConnectionError", "ReadTimeout")?"""
    if outcome.isdigit():
        return outcome in CODE.findall(rest)
    return bool(FAILURE_MARK.search(rest)) or outcome.lower() in rest.lower()


def looks_like_status(rest: str) -> bool:
    """A line that says something about a download: a status code or a failure mark."""
    return bool(CODE.search(rest) or FAILURE_MARK.search(rest))


def status_lines(lines: list[dict[str, Any]], parts: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """For each URL, the printed lines that report something about it, in printed order."""
    out: dict[str, list[dict[str, Any]]] = {url: [] for url in parts}
    for line in lines:
        hit = named_url(line["text"], parts)
        if hit is not None and looks_like_status(hit[1]):
            out[hit[0]].append({**line, "rest": hit[1]})
    return out


def describe_accepted(outcome: str) -> str:
    """What a line must hold besides the URL, in the words of the feedback."""
    if outcome.isdigit():
        return f"its status code {outcome}"
    return f"a failure mark (e.g. `error`, `failed` or {outcome})"


def reaction_test(server: Any, recorder: Any, aliases: dict[str, str] | None = None) -> Any:
    """For `SequencedServer.reported`: has the program printed the status line of an answered
    request (a line since the answer naming its URL, or one that stands for it in `aliases`,
    with a status code or a failure mark)? A redirect is not an answer the program prints: requests
    follows it at once, in the same thread, so its reaction is the next hop's request; a
    retry of the same URL from the same thread likewise (the line comes after the retry)."""
    owner = {normalize(a): normalize(u) for a, u in (aliases or {}).items()}

    def reacted(record: Any) -> bool:
        released = record.released or 0.0
        hop = record.outcome[:1] == "3"
        if any(r.ident == record.ident and r.start >= released and r is not record
               and (hop or normalize(r.url) == normalize(record.url))
               for r in list(server.records)):
            return True
        if hop:
            return False
        fresh = [line for line in recorder.since(0) if line["t"] >= released]
        if not fresh:
            return False
        url = normalize(record.url)
        mine = owner.get(url, url)
        every = {normalize(r.url) for r in server.records} | {url} | set(owner)
        parts = names(every)
        for line in fresh:
            hit = named_url(line["text"], parts)
            # Any status line counts (a wrong code is prints_status's business, not timing's).
            if hit is not None and owner.get(hit[0], hit[0]) == mine and looks_like_status(hit[1]):
                return True
        return False
    return reacted
