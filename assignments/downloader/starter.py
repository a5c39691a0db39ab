"""Starter for the downloader exercise. Save your solution as ``downloader.py``.

Self-check:  grader check downloader downloader.py
"""

from __future__ import annotations

import requests  # noqa: F401  (you will need it)


def download_pages(
    urls: list[str], max_workers: int = 8, timeout: float = 10.0
) -> dict[str, int | None]:
    """Download every URL in ``urls`` concurrently using threads.

    Requirements (see README.md):
      * downloads overlap in time, but never more than ``max_workers``
        requests are in flight at once (hint: concurrent.futures.ThreadPoolExecutor);
      * each URL is fetched exactly once, with ``requests.get(url, timeout=timeout)``;
      * as soon as a request completes, print ONE line:
            "<url> <status_code>"              e.g. "https://x.test/a 200"
            "<url> error <ExceptionClassName>" e.g. "https://x.test/a error ConnectionError"
      * a failing URL never crashes the function;
      * return only after all downloads are done: {url: status_code}, with
        None for a URL whose request raised.
    """
    # TODO: create a pool of at most max_workers threads
    # TODO: submit one request per (distinct) URL, passing timeout=
    # TODO: print a line for each URL as soon as it finishes (completion order)
    # TODO: catch request errors -> print "<url> error <ClassName>", store None
    # TODO: return the {url: status_code} dict
    raise NotImplementedError


if __name__ == "__main__":
    demo_urls = [
        "https://www.python.org/",
        "https://httpbin.org/status/404",
        "https://does-not-exist.invalid/",
    ]
    print(download_pages(demo_urls, max_workers=3, timeout=5.0))
