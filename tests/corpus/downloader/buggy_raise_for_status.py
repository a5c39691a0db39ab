# corpus: buggy
# style: contract
# bug: raise-for-status
# must_fail: statuses
# may_fail: prints_status, errors_to_none
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests


def fetch(url, timeout):
    resp = requests.get(url, timeout=timeout)
    resp.raise_for_status()   # make sure the download worked
    return resp.status_code


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        future_map = {pool.submit(fetch, u, timeout): u for u in urls}
        for future in as_completed(future_map):
            url = future_map[future]
            try:
                results[url] = future.result()
                print(f"{url} {results[url]}")
            except requests.exceptions.RequestException as e:
                results[url] = None
                print(f"{url} error {type(e).__name__}")
    return results
