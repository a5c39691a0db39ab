# corpus: buggy
# style: contract
# bug: ignores-max-workers
# must_fail: max_workers
# may_fail: 
import threading
import requests


class Downloader(threading.Thread):
    def __init__(self, url, timeout, results):
        super().__init__()
        self.url = url
        self.timeout = timeout
        self.results = results

    def run(self):
        try:
            resp = requests.get(self.url, timeout=self.timeout)
            self.results[self.url] = resp.status_code
            print(f"{self.url} {resp.status_code}")
        except Exception as e:
            self.results[self.url] = None
            print(f"{self.url} error {type(e).__name__}")


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    threads = [Downloader(url, timeout, results) for url in urls]  # one thread per url
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
