# corpus: buggy
# style: contract
# bug: ignores-max-workers
# must_fail: max_workers
# may_fail: 
import threading
import requests


def worker(url, results, max_workers, timeout):
    sem = threading.Semaphore(max_workers)   # limit the number of downloads
    sem.acquire()
    try:
        r = requests.get(url, timeout=timeout)
        results[url] = r.status_code
        print(f"{url} {r.status_code}")
    except Exception as e:
        results[url] = None
        print(f"{url} error {type(e).__name__}")
    finally:
        sem.release()


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    threads = []
    for url in urls:
        t = threading.Thread(target=worker, args=(url, results, max_workers, timeout))
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    return results
