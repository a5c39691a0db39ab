# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
import threading
import requests


def download_pages(urls: list[str], max_workers: int = 8, timeout: float = 10.0) -> dict[str, int | None]:
    """Download all urls concurrently, at most max_workers at a time."""
    sem = threading.Semaphore(max_workers)
    lock = threading.Lock()
    results: dict[str, int | None] = {}

    def fetch(url: str) -> None:
        # every thread is started right away but has to wait here for a free slot
        with sem:
            try:
                resp = requests.get(url, timeout=timeout)
                status = resp.status_code
                line = f"{url} {status}"
            except requests.exceptions.RequestException as exc:
                status = None
                line = f"{url} error {exc.__class__.__name__}"
        with lock:
            results[url] = status
            print(line)

    threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
