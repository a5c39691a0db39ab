# corpus: buggy
# style: contract
# bug: no-timeout
# must_fail: timeout
# may_fail: 
from concurrent.futures import ThreadPoolExecutor, as_completed
import requests


def download_one(url):
    try:
        r = requests.get(url)
        print(f"{url} {r.status_code}")
        return url, r.status_code
    except requests.exceptions.RequestException as e:
        print(f"{url} error {type(e).__name__}")
        return url, None


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        jobs = [executor.submit(download_one, url) for url in urls]
        for job in as_completed(jobs):
            url, status = job.result()
            results[url] = status
    return results
