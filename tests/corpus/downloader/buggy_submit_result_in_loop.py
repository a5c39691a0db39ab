# corpus: buggy
# style: contract
# bug: result-in-loop
# must_fail: overlap
# may_fail: max_workers, completion_order, waits_for_all, shared_state
from concurrent.futures import ThreadPoolExecutor

import requests


def fetch_status(url, timeout):
    try:
        return requests.get(url, timeout=timeout).status_code, None
    except requests.RequestException as e:
        return None, type(e).__name__


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        for url in urls:
            future = executor.submit(fetch_status, url, timeout)
            status, err = future.result()   # get the result of this download
            results[url] = status
            if err:
                print(f"{url} error {err}")
            else:
                print(f"{url} {status}")
    return results
