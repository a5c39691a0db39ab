# corpus: buggy
# style: contract
# bug: print-at-end
# must_fail: completion_order
# may_fail: 
from concurrent.futures import ThreadPoolExecutor
import requests


def get_code(url, timeout):
    try:
        return requests.get(url, timeout=timeout).status_code
    except Exception as e:
        return e


def download_pages(urls, max_workers=8, timeout=10.0):
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        outcomes = list(pool.map(get_code, urls, [timeout] * len(urls)))

    results = {}
    # print a nice report once everything is downloaded
    for url, outcome in zip(urls, outcomes):
        if isinstance(outcome, Exception):
            print(f"{url} error {type(outcome).__name__}")
            results[url] = None
        else:
            print(f"{url} {outcome}")
            results[url] = outcome
    return results
