# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
import threading
from queue import Queue

import requests

print_lock = threading.Lock()


def download_pages(urls, max_workers=8, timeout=10.0):
    """Worker pool with daemon threads; q.join() waits until every task is done."""
    q = Queue()
    status_codes = {}

    def crawl():
        while True:
            url = q.get()
            try:
                res = requests.get(url, timeout=timeout)
                status_codes[url] = res.status_code
                with print_lock:
                    print(url, res.status_code)
            except Exception as ex:
                status_codes[url] = None
                with print_lock:
                    print(url, "error", type(ex).__name__)
            finally:
                q.task_done()

    for _ in range(max_workers):
        t = threading.Thread(target=crawl, daemon=True)
        t.start()

    for url in urls:
        q.put(url)

    q.join()  # blocks until task_done() was called for every url
    return status_codes
