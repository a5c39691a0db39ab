# corpus: buggy
# style: contract
# bug: results-slot
# must_fail: shared_state
# may_fail: 
import threading

import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    rows = []
    slots = threading.BoundedSemaphore(max_workers)

    def worker(url):
        with slots:
            try:
                code = requests.get(url, timeout=timeout).status_code
                print(url, code)
            except requests.RequestException as exc:
                code = None
                print(url, "error", type(exc).__name__)
        rows.append(None)
        index = len(rows) - 1  # another worker may have appended in between
        rows[index] = (url, code)

    threads = [threading.Thread(target=worker, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {url: code for url, code in filter(None, rows)}
