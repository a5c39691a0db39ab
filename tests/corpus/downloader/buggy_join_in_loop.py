# corpus: buggy
# style: contract
# bug: join-in-loop
# must_fail: overlap
# may_fail: max_workers, completion_order, waits_for_all, shared_state
import threading
import requests

results = {}


def download(url, timeout):
    try:
        response = requests.get(url, timeout=timeout)
        results[url] = response.status_code
        print(f"Downloaded {url} with status {response.status_code}")
    except Exception as e:
        results[url] = None
        print(f"Failed {url}: error {type(e).__name__}")


def download_pages(urls, max_workers=8, timeout=10.0):
    results.clear()
    for url in urls:
        t = threading.Thread(target=download, args=(url, timeout))
        t.start()
        t.join()  # wait for the thread so we don't have too many running
    return dict(results)
