# corpus: buggy
# style: contract
# bug: returns-early
# must_fail: waits_for_all
# may_fail: statuses, errors_to_none, each_once, overlap, prints_status, completion_order, timeout, no_network, shared_state
from concurrent.futures import ThreadPoolExecutor
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}

    def task(url):
        try:
            code = requests.get(url, timeout=timeout).status_code
            print(f"{url} {code}")
        except requests.RequestException as e:
            code = None
            print(f"{url} error {type(e).__name__}")
        results[url] = code

    executor = ThreadPoolExecutor(max_workers=max_workers)
    for url in urls:
        executor.submit(task, url)
    executor.shutdown(wait=False)  # don't block, the threads keep running
    return results
