# corpus: buggy
# style: contract
# bug: unlocked-counter
# must_fail: shared_state
# may_fail: 
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests

finished = 0


def fetch(url, timeout, total):
    global finished
    try:
        code = requests.get(url, timeout=timeout).status_code
    except requests.RequestException as exc:
        code = None
        print(f"{url} failed: {type(exc).__name__}")
    else:
        print(f"{url} -> {code}")
    finished += 1  # no lock: two workers can both read the same count
    print(f"progress: {finished}/{total}")
    return url, code


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = [pool.submit(fetch, url, timeout, len(urls)) for url in urls]
        for future in as_completed(futures):
            url, code = future.result()
            results[url] = code
    return results
