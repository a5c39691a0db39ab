# corpus: buggy
# style: contract
# bug: duplicate-fetch
# must_fail: each_once
# may_fail: 
from concurrent.futures import ThreadPoolExecutor
import requests

RETRIES = 2


def fetch(url, timeout):
    # try twice in case the server is flaky
    # (bug: there is no break, so every url is always downloaded twice)
    status = None
    for attempt in range(RETRIES):
        try:
            status = requests.get(url, timeout=timeout).status_code
        except requests.RequestException as e:
            status = None
            err = type(e).__name__
    if status is None:
        print(f"{url} error {err}")
    else:
        print(f"{url} {status}")
    return status


def download_pages(urls, max_workers=8, timeout=10.0):
    with ThreadPoolExecutor(max_workers=max_workers) as ex:
        futures = {url: ex.submit(fetch, url, timeout) for url in urls}
    return {url: f.result() for url, f in futures.items()}
