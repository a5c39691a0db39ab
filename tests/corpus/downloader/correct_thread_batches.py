# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: overlap, completion_order, shared_state
# Starts the threads in batches of max_workers and waits for each batch
# before starting the next one. Never more than max_workers in flight,
# downloads inside a batch overlap (less efficient than a pool, but correct).
import threading
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    statuses = {}

    def get(url):
        try:
            r = requests.get(url, timeout=timeout)
            statuses[url] = r.status_code
            print(f"{url} status {r.status_code}", flush=True)
        except Exception as err:
            statuses[url] = None
            print(f"{url} error {type(err).__name__}", flush=True)

    for i in range(0, len(urls), max_workers):
        batch = urls[i:i + max_workers]
        threads = []
        for url in batch:
            th = threading.Thread(target=get, args=(url,))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
    return statuses
