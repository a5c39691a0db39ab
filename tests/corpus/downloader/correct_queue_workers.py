# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
# Producer/consumer version: a fixed number of worker threads take URLs
# from a queue. A None in the queue tells a worker to stop.
import queue
import threading

import requests


def _worker(q, results, lock, timeout):
    while True:
        url = q.get()
        if url is None:          # sentinel -> no more work
            break
        try:
            r = requests.get(url, timeout=timeout)
            code = r.status_code
            print("{} {}".format(url, code))
        except Exception as e:
            code = None
            print("{} error {}".format(url, type(e).__name__))
        with lock:
            results[url] = code


def download_pages(urls, max_workers=8, timeout=10.0):
    q = queue.Queue()
    results = {}
    lock = threading.Lock()

    for u in urls:
        q.put(u)

    n_workers = min(max_workers, len(urls))
    for _ in range(n_workers):
        q.put(None)  # one sentinel per worker

    workers = []
    for i in range(n_workers):
        w = threading.Thread(target=_worker, args=(q, results, lock, timeout), name=f"worker-{i}")
        w.start()
        workers.append(w)

    for w in workers:
        w.join()

    return results
