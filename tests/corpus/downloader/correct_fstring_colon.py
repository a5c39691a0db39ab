# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
from concurrent.futures import ThreadPoolExecutor, as_completed
import threading

import requests

_lock = threading.Lock()


def _download(url, timeout, results):
    try:
        resp = requests.get(url, timeout=timeout)
    except Exception as e:
        with _lock:
            results[url] = None
        print(f"{url}: error ({type(e).__name__})")
        return
    with _lock:
        results[url] = resp.status_code
    print(f"{url}: {resp.status_code}")


def download_pages(urls: list[str], max_workers: int = 8, timeout: float = 10.0) -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    with ThreadPoolExecutor(max_workers=max_workers) as ex:
        futs = [ex.submit(_download, u, timeout, results) for u in urls]
        for f in as_completed(futs):
            f.result()  # re-raise anything unexpected from the worker
    return results


if __name__ == "__main__":
    demo = [
        "https://www.python.org",
        "https://httpbin.org/status/500",
        "https://does-not-exist.invalid",
    ]
    for k, v in download_pages(demo, max_workers=3).items():
        print(k, v)
