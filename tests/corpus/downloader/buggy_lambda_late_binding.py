# corpus: buggy
# style: contract
# bug: late-binding-lambda
# must_fail: statuses, errors_to_none, each_once, prints_status
# may_fail: overlap, completion_order, timeout, waits_for_all, shared_state
import threading
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    sem = threading.Semaphore(max_workers)

    def fetch(url):
        with sem:
            try:
                r = requests.get(url, timeout=timeout)
                results[url] = r.status_code
                print(f"{url} {r.status_code}")
            except Exception as e:
                results[url] = None
                print(f"{url} error {type(e).__name__}")

    threads = []
    for url in urls:
        threads.append(threading.Thread(target=lambda: fetch(url)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
