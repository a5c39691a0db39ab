# corpus: buggy
# style: contract
# bug: ignores-max-workers
# must_fail: max_workers
# may_fail: 
import concurrent.futures
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}

    def fetch(url):
        try:
            r = requests.get(url, timeout=timeout)
            results[url] = r.status_code
            print(f"{url} {r.status_code}")
        except requests.exceptions.RequestException as e:
            results[url] = None
            print(f"{url} error {type(e).__name__}")

    # one worker per url so everything downloads at once = fastest
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(urls) or 1) as executor:
        executor.map(fetch, urls)
    return results
