# corpus: buggy
# style: contract
# bug: sequential
# must_fail: overlap
# may_fail: max_workers, completion_order, waits_for_all, shared_state
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    # TODO: add threads later, first make it work
    results = {}
    for url in urls:
        try:
            r = requests.get(url, timeout=timeout)
            results[url] = r.status_code
            print(url, r.status_code)
        except Exception as e:
            results[url] = None
            print(url, "error", type(e).__name__)
    return results
