"""demo_at_import.py's twin whose download_pages first checks the connection with its demo's
first URL: a host it was not given, on every call."""
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests


def fetch(url, timeout):
    try:
        return url, requests.get(url, timeout=timeout).status_code, None
    except requests.RequestException as exc:
        return url, None, exc


def download_pages(urls, max_workers=8, timeout=10.0):
    try:
        requests.get("https://www.python.org", timeout=timeout)  # are we online?
    except requests.RequestException:
        print("no connection?", flush=True)
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = [pool.submit(fetch, url, timeout) for url in dict.fromkeys(urls)]
        for future in as_completed(futures):
            url, code, exc = future.result()
            results[url] = code
            if exc is None:
                print(url, code, flush=True)
            else:
                print(url, "error", type(exc).__name__, flush=True)
    return results


# try it
print(download_pages(["https://www.python.org", "https://httpbin.org/status/404",
                      "https://httpbin.org/delay/2"]))
