"""A function handed to a thread inside a loop that reads the loop's variable when it runs
(grader.probes.late_binding): read from the source, so every run of the grader says the same."""
from __future__ import annotations

import textwrap

import pytest

from grader.probes.late_binding import late_reads


def found(source: str) -> list[tuple[int, str, str]]:
    return [(f["line"], f["name"], f["code"]) for f in late_reads(textwrap.dedent(source))]


@pytest.mark.parametrize("source, expected", [
    ("for url in urls:\n    threads.append(Thread(target=lambda: get(url)))\n",
     [(2, "url", "lambda: get(url)")]),
    ("for url in urls:\n    pool.submit(lambda: get(url))\n", [(2, "url", "lambda: get(url)")]),
    ("threads = [threading.Thread(target=lambda: get(u)) for u in urls]\n",
     [(1, "u", "lambda: get(u)")]),
    ("for i, url in enumerate(urls):\n    def work():\n        get(url, i)\n"
     "    Thread(target=work).start()\n", [(4, "i", "work")]),
    ("for url in urls:\n    threading.Timer(1, lambda: get(url)).start()\n",
     [(2, "url", "lambda: get(url)")]),
    # at the top level the loop's names are globals, which the module's functions read late
    ("def fetch():\n    get(current)\nfor url in urls:\n    current = url\n"
     "    threads.append(Thread(target=fetch))\n", [(5, "current", "fetch")]),
    ("def fetch():\n    get(url)\nfor url in urls:\n    pool.submit(fetch)\n", [(4, "url", "fetch")]),
])
def test_a_function_reading_the_loop_variable_late_is_found(source: str, expected: list) -> None:
    assert found(source) == expected


@pytest.mark.parametrize("source", [
    "for url in urls:\n    Thread(target=lambda url=url: get(url)).start()\n",  # bound at once
    "for url in urls:\n    Thread(target=get, args=(url,)).start()\n",
    "for url in urls:\n    pool.submit(get, url)\n",
    "for url in urls:\n    t = Thread(target=lambda: get(url))\n    t.start()\n    t.join()\n",
    "for url in urls:\n    print(pool.submit(lambda: get(url)).result())\n",  # waited for
    "for url in urls:\n    Thread(target=lambda: get(other)).start()\n",
    "for url in urls:\n    def work(url):\n        get(url)\n    Thread(target=work, args=(url,)).start()\n",
    "for url in urls:\n    results.append(sorted(xs, key=lambda x: x[url]))\n",  # run at once
    "this is not Python (",
    # a function's own loop: its names are its locals, which a module function cannot read
    "def fetch():\n    get(url)\ndef main():\n    for url in urls:\n        Thread(target=fetch).start()\n",
    "def fetch(url):\n    get(url)\nfor url in urls:\n    Thread(target=fetch, args=(url,)).start()\n",
])
def test_a_function_that_binds_the_variable_or_runs_at_once_is_not(source: str) -> None:
    assert found(source) == []
