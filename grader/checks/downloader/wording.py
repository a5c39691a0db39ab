"""Which printed line reports which URL, and does it say what happened (grader side, no probe).

A human grader accepts any wording: `https://x.test/a 200`, `URL: x.test/a, Status Code: 200`,
`[failed] https://x.test/slow: ReadTimeout`, `a -> ERROR`. So a line reports a URL when it names
the URL, or a part of it that no other URL shares (`x.test/a`, the host, the last path segment),
and it reports the outcome when, beside that name, it holds the status code as a number of its
own, or for a request that raised, a clear failure mark: the exception's class name or a word
such as error, failed, failure, exception, timeout. Lines from stdout, stderr and `logging`
count alike. A line naming several URLs (a summary, the whole dict) reports none of them.

Three cases need no URL on the line, or no URL of their own:
* a program that fetches a single distinct URL (the same page many times, or once) may print
  the bare code (`200`, `Status: 200`): only that URL can be meant. A line holding several
  codes (`[200, 200, 404]`, a summary) still reports nothing;
* a line naming no URL with one status code (or a failure mark and no code), `Request 3
  finished with status 404`, `Python: 200`, `worker 2: failed` (`thread_report`), reports
  the download it follows: printed by a thread that made requests, that thread's last
  answered one (the grader numbers threads alike in its requests and its lines); printed by
  one that made none (main's `as_completed` loop), the one whose answer the server was
  waiting on when the line came (it answers one at a time and waits for the line; it keeps
  which line it took, `Record.reported_by`). Printed after the joins, when the server had
  stopped waiting, such lines report nothing;
* URLs of one *site* (the same address but for `http`/`https`, `www.` and a trailing slash,
  as when a program tries http then https) are named together: a line naming the site
  (`example.com 200`) counts for each of them, as a line naming one of them in full does.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable

from grader.checks.downloader.mock.routes import normalize

CODE = re.compile(r"(?<![\w.])([1-5]\d\d)(?![\w.])")
FAILURE_MARK = re.compile(r"error|fail|exception|time[ds]?[ _-]?out|refused|unreachable|"
                          r"\bcould\s*(?:not|n't)\b|\bcannot\b|\bcan't\b|\bunable\b",
                          re.IGNORECASE)
MIN_PART = 4  # a shorter part of a URL ("a", "api") is too easily found by chance
# Terminal escape sequences (colours: `\x1b[33m404\x1b[0m`, cursor moves, titles): a line is
# read as the terminal shows it, so a coloured code is a code of its own. In the child the
# escape is the character itself; the parent receives it written out (`\\x1b`, as
# grader.sandbox.untrusted makes every control character visible), so both introduce one.
_ESC = r"(?:\x1b|\\x1b)"
_BEL = r"(?:\x07|\\x07)"
ESCAPES = re.compile(rf"{_ESC}\[[0-?]*[ -/]*[@-~]|{_ESC}\].*?(?:{_BEL}|{_ESC}\\\\|$)|{_ESC}[@-Z_]")


def plain(text: str) -> str:
    """`text` without terminal escape sequences, as a terminal shows it."""
    return ESCAPES.sub("", text) if "x1b" in text or "\x1b" in text else text


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


def site(url: str) -> str:
    """The site a URL belongs to: its address without scheme, `www.` and trailing slash, the
    host in lower case. http://www.example.com/ and https://example.com share one."""
    bare = re.sub(r"^[a-z][a-z0-9+.-]*://", "", normalize(url), flags=re.IGNORECASE)
    host, slash, path = bare.partition("/")
    host = host.lower()
    return host.removeprefix("www.") + slash + path


def site_names(urls: Iterable[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(for each site, the parts of its URLs that name it unambiguously; the site each URL
    belongs to). A site is keyed by its first URL, and a site of one URL is named exactly as
    `names` names that URL, so grouping changes nothing for programs that never fetch one
    site twice."""
    groups: dict[str, list[str]] = {}
    for url in dict.fromkeys(normalize(u) for u in urls):
        groups.setdefault(site(url), []).append(url)
    base = names(members[0] for members in groups.values())
    parts: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for members in groups.values():
        mine = list(base[members[0]])
        for other in members[1:]:  # its own full form names it: no other site shares it
            if other not in mine:
                mine.append(other)
        parts[members[0]] = mine
        owner.update({m: members[0] for m in members})
    return parts, owner


def bare_code(text: str) -> bool:
    """A line that holds exactly one status code and no URL could only report the one URL a
    program fetches (`200`, `Status: 200`); a list of codes is a summary."""
    return len(CODE.findall(text)) == 1 and URL_IN_TEXT.search(text) is None


URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


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


def status_lines(lines: list[dict[str, Any]], parts: dict[str, list[str]],
                 owner: Callable[[dict[str, Any]], str | None] | None = None,
                 ) -> dict[str, list[dict[str, Any]]]:
    """For each URL, the printed lines that report something about it, in printed order
    (with a single URL, the lines holding one bare status code too; with `owner`, which says
    whose report a line naming no URL is (`last_answered`), those reports)."""
    out: dict[str, list[dict[str, Any]]] = {url: [] for url in parts}
    for line in lines:
        hit = line_url(line["text"], parts)
        if hit is None and owner is not None and thread_report(line["text"]):
            url = owner(line)
            hit = None if url is None or url not in out else (url, plain(line["text"]))
        if hit is not None and looks_like_status(hit[1]):
            out[hit[0]].append({**line, "rest": hit[1]})
    return out


def thread_report(text: str) -> bool:
    """A line naming no URL that says how one download went: exactly one status code, or no
    code and a failure mark. Which download it reports depends on who printed it and when (see
    the module's docstring); a summary of codes reports nothing."""
    text = plain(text)
    if URL_IN_TEXT.search(text):
        return False
    codes = CODE.findall(text)
    return len(codes) == 1 or (not codes and bool(FAILURE_MARK.search(text)))


def last_answered(requests: Iterable[dict[str, Any]], site_of: dict[str, str]
                  ) -> Callable[[dict[str, Any]], str | None]:
    """For `status_lines`' owner: the site of the request the line reports (see the module's
    docstring): its thread's last answered one before the line, or for a thread that made no
    request, the one the server took the line as the reaction to (None when neither)."""
    ended: dict[int, list[dict[str, Any]]] = {}  # each thread's answered requests
    for r in requests:
        if r.get("end") is not None:
            ended.setdefault(r["thread"], []).append(r)
    taken = {tuple(r["reported_by"]): r for r in requests if r.get("reported_by")}

    def owner(line: dict[str, Any]) -> str | None:
        thread = line.get("thread", -1)
        if (line["t"], thread) in taken:
            return site_of.get(normalize(taken[(line["t"], thread)]["url"]))
        before = [r for r in ended.get(thread, []) if r["end"] <= line["t"]]
        if not before:
            return None
        return site_of.get(normalize(max(before, key=lambda r: (r["end"], r["id"]))["url"]))
    return owner


def line_url(text: str, parts: dict[str, list[str]]) -> tuple[str, str] | None:
    """`named_url`, and for a program that fetches a single URL, a line with a bare code (the
    line read as a terminal shows it, `plain`)."""
    text = plain(text)
    hit = named_url(text, parts)
    if hit is None and len(parts) == 1 and bare_code(text):
        return next(iter(parts)), text
    return hit


def describe_accepted(outcome: str) -> str:
    """What a line must hold besides the URL, in the words of the feedback."""
    if outcome.isdigit():
        return f"its status code {outcome}"
    return f"a failure mark (e.g. `error`, `failed` or {outcome})"


def same_task(first: Any, then: Any) -> bool:
    """Is request `then` (a server record) the next step of the task that made `first`: a
    later request from the same thread after a redirect (requests follows it at once, or the
    program does by hand), or to the same site (a retry, http then https)? Such a task
    prints its lines when it ends, after its last request."""
    return (then.ident == first.ident and then is not first and then.id > first.id
            and (first.outcome[:1] == "3" or site(then.url) == site(first.url)))


def reaction_test(server: Any, recorder: Any, aliases: dict[str, str] | None = None) -> Any:
    """For `SequencedServer.reported`: has the program printed the status line of an answered
    request (a line since the answer naming its URL or its site, or one that stands for it in
    `aliases`, with a status code or a failure mark)? A task that goes on (see `same_task`:
    a redirect followed, a retry, https after http) reacts with its next request; its line
    comes at its end."""
    owner = {normalize(a): normalize(u) for a, u in (aliases or {}).items()}

    def reacted(record: Any) -> bool:
        released = record.released or 0.0
        if any(same_task(record, r) and r.start >= released for r in list(server.records)):
            return True
        if record.outcome[:1] == "3":
            return False
        fresh = [line for line in recorder.since(0) if line["t"] >= released]
        if not fresh:
            return False
        url = normalize(record.url)
        mine = owner.get(url, url)
        every = {normalize(r.url) for r in server.records} | {url} | set(owner)
        parts, site_of = site_names(every)
        for line in fresh:
            hit = line_url(line["text"], parts)
            if hit is None and thread_report(line["text"]):
                if line["thread"] == record.thread:
                    return True  # the answered thread's own report
                if all(r.thread != line["thread"] for r in list(server.records)):
                    # A thread that made no request, after the one answer that went out since
                    # the last reaction: kept, so the judge gives the line to this answer.
                    record.reported_by = (line["t"], line["thread"])
                    return True
            # Any status line counts (a wrong code is prints_status's business, not timing's).
            if hit is not None and looks_like_status(hit[1]) and (
                    hit[0] == site_of[url] or owner.get(hit[0], hit[0]) == mine):
                return True
        return False
    return reacted
