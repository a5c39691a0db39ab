# corpus: buggy
# style: contract
# bug: error-as-200
# must_fail: errors_to_none, timeout
# may_fail: 
from concurrent.futures import ThreadPoolExecutor, as_completed
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}

    def job(url):
        try:
            r = requests.get(url, timeout=timeout)
            results[url] = r.status_code
            print(f"{url} {r.status_code}")
        except Exception as e:
            print(f"{url} error {type(e).__name__}")
            results[url] = 200  # default so the dict always has an int

    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for f in as_completed([pool.submit(job, u) for u in urls]):
            pass
    return results
