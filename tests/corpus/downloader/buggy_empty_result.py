# corpus: buggy
# style: contract
# bug: empty-result
# must_fail: statuses, errors_to_none
# may_fail: waits_for_all, timeout
import threading
import requests


def get_page(url, timeout, sem):
    results = {}
    with sem:
        try:
            r = requests.get(url, timeout=timeout)
            print(f"{url} {r.status_code}")
            results[url] = r.status_code
        except requests.exceptions.RequestException as e:
            print(f"{url} error {type(e).__name__}")
            results[url] = None
    return results


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    sem = threading.Semaphore(max_workers)
    threads = []
    for url in urls:
        # the return value of the target is thrown away by Thread...
        t = threading.Thread(target=get_page, args=(url, timeout, sem))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return results
