# corpus: buggy
# style: contract
# bug: duplicate-fetch
# must_fail: each_once
# may_fail: statuses, errors_to_none, prints_status, completion_order, timeout, no_network
import threading
import requests


def check_url(url, timeout, results, sem):
    with sem:
        try:
            # cheap HEAD first to see if the page exists, then the real GET
            head = requests.head(url, timeout=timeout, allow_redirects=True)
            if head.status_code >= 400:
                status = head.status_code
            else:
                status = requests.get(url, timeout=timeout).status_code
            print(f"{url} {status}")
        except Exception as e:
            status = None
            print(f"{url} error {type(e).__name__}")
    results[url] = status


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    sem = threading.Semaphore(max_workers)
    threads = []
    for url in urls:
        t = threading.Thread(target=check_url, args=(url, timeout, results, sem))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return results
