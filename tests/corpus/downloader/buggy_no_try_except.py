# corpus: buggy
# style: contract
# bug: no-try-except
# must_fail: errors_to_none
# may_fail: prints_status, waits_for_all, timeout
import threading
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    sem = threading.Semaphore(max_workers)

    def download(url):
        with sem:
            page = requests.get(url, timeout=timeout)
        results[url] = page.status_code
        print(f"{url} {page.status_code}")

    threads = [threading.Thread(target=download, args=(url,)) for url in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
