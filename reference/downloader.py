"""Reference solution: concurrent page downloader.

Downloads a list of URLs with a bounded pool of worker threads, printing one
line per URL as soon as its request finishes (completion order, not input
order), and returns a mapping ``{url: status_code or None}``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed

import requests


def fetch(url: str, timeout: float) -> tuple[str, int | None, Exception | None]:
    """Fetch one URL; never raises for network/HTTP-library errors.

    Returns ``(url, status_code, None)`` on success and
    ``(url, None, exception)`` if the request failed.
    """
    try:
        # requests follows redirects by default, so 301 -> 200 yields 200.
        response = requests.get(url, timeout=timeout)
        return url, response.status_code, None
    except requests.RequestException as exc:
        return url, None, exc


def download_pages(
    urls: list[str], max_workers: int = 8, timeout: float = 10.0
) -> dict[str, int | None]:
    """Download every URL concurrently and return ``{url: status_code}``.

    * At most ``max_workers`` requests are in flight at any moment.
    * Each distinct URL is fetched exactly once (duplicates are ignored).
    * A failed request maps to ``None`` instead of crashing the program.
    """
    unique_urls = list(dict.fromkeys(urls))  # dedupe, keep input order
    if not unique_urls:
        return {}

    results: dict[str, int | None] = {}
    workers = max(1, int(max_workers))

    # The executor's ``with`` block waits for all workers before returning.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fetch, url, timeout) for url in unique_urls]
        # as_completed yields futures in the order they *finish*, so every
        # line is printed (by the main thread) as soon as its download ends.
        for future in as_completed(futures):
            url, status, exc = future.result()
            results[url] = status
            if exc is None:
                print(f"{url} {status}", flush=True)
            else:
                print(f"{url} error {type(exc).__name__}", flush=True)

    return results


if __name__ == "__main__":
    demo_urls = [
        "https://www.python.org/",
        "https://httpbin.org/status/404",
        "https://does-not-exist.invalid/",
    ]
    print(download_pages(demo_urls, max_workers=3, timeout=5.0))
