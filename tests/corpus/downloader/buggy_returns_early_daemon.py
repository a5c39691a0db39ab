# corpus: buggy
# style: contract
# bug: returns-early
# must_fail: waits_for_all
# may_fail: statuses, errors_to_none, each_once, overlap, prints_status, completion_order, timeout, no_network, shared_state
import threading
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    results = {}
    sem = threading.Semaphore(max_workers)

    def work(url):
        with sem:
            try:
                r = requests.get(url, timeout=timeout)
                results[url] = r.status_code
                print(f"{url} {r.status_code}")
            except Exception as e:
                results[url] = None
                print(f"{url} error {type(e).__name__}")

    for url in urls:
        # daemon so the program doesn't hang if a site never answers
        threading.Thread(target=work, args=(url,), daemon=True).start()

    return results
