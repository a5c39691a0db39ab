"""demo_at_import.py's twin whose demo at the bottom, run on import, downloads with urllib."""
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests


def fetch(url, timeout):
    try:
        return url, requests.get(url, timeout=timeout).status_code, None
    except requests.RequestException as exc:
        return url, None, exc


def download_pages(urls, max_workers=8, timeout=10.0):
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
import urllib.request

for page in ["https://www.python.org", "https://httpbin.org/get"]:
    with urllib.request.urlopen(page, timeout=5) as answer:
        print(page, answer.status)
