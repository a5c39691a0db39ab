# corpus: buggy
# style: contract
# bug: no-try-except
# must_fail: errors_to_none, timeout
# may_fail: prints_status, waits_for_all
import concurrent.futures
import requests


def fetch(url, timeout):
    return requests.get(url, timeout=timeout).status_code


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = {executor.submit(fetch, url, timeout): url for url in urls}
        for fut in concurrent.futures.as_completed(futures):
            url = futures[fut]
            results[url] = fut.result()
            print(url, results[url])
    return results
