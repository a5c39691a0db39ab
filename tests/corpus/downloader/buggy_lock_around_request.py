# corpus: buggy
# style: contract
# bug: lock-serializes
# must_fail: overlap
# may_fail: max_workers, completion_order, waits_for_all, shared_state
import threading
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    lock = threading.Lock()
    limit = threading.Semaphore(max_workers)

    def worker(url):
        with limit:
            # lock so two threads never touch results at the same time
            with lock:
                try:
                    r = requests.get(url, timeout=timeout)
                    results[url] = r.status_code
                    print(f"{url} {r.status_code}")
                except requests.exceptions.RequestException as e:
                    results[url] = None
                    print(f"{url} error {e.__class__.__name__}")

    threads = []
    for url in urls:
        t = threading.Thread(target=worker, args=(url,))
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    return results
