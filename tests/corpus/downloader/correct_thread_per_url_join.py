# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
"""Exercise 4 - downloader.py

One thread per URL. Before starting a thread the main loop takes a slot
from a BoundedSemaphore, and the thread gives it back when it is done, so
at most max_workers downloads run at the same time.
"""
import threading

import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    slots = threading.BoundedSemaphore(max_workers)
    threads = []

    def worker(url):
        try:
            r = requests.get(url, timeout=timeout)
            results[url] = r.status_code  # dict assignment is atomic in CPython
            print(f"{url} {r.status_code}")
        except Exception as e:
            results[url] = None
            print(f"{url} error {type(e).__name__}")
        finally:
            slots.release()

    for url in urls:
        slots.acquire()  # blocks while max_workers threads are still busy
        t = threading.Thread(target=worker, args=(url,))
        t.start()
        threads.append(t)

    for t in threads:
        t.join()

    return results


if __name__ == "__main__":
    pages = ["https://www.python.org", "https://example.com", "https://httpbin.org/status/404"]
    print(download_pages(pages, max_workers=2))
