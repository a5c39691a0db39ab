# corpus: buggy
# style: contract
# bug: catches-only-connection-error
# must_fail: errors_to_none
# may_fail: timeout, prints_status, waits_for_all
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.exceptions import ConnectionError


def fetch(url, timeout):
    try:
        r = requests.get(url, timeout=timeout)
    except ConnectionError as e:   # site is down
        print(f"{url} error {type(e).__name__}")
        return None
    print(f"{url} {r.status_code}")
    return r.status_code


def download_pages(urls, max_workers=8, timeout=10.0):
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        statuses = executor.map(fetch, urls, [timeout] * len(urls))
        return {url: status for url, status in zip(urls, statuses)}
