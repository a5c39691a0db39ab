# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
"""Downloader using one requests.Session per thread.

Sessions are not guaranteed to be thread safe, so every worker thread
gets its own Session through threading.local() (idea from the
realpython "speed up your python program with concurrency" article).
"""
import concurrent.futures
import threading

import requests

thread_local = threading.local()


def get_session():
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
    return thread_local.session


def download_site(url, timeout):
    session = get_session()
    try:
        with session.get(url, timeout=timeout) as response:
            print(f"{url} -> {response.status_code}")
            return response.status_code
    except requests.RequestException as e:
        print(f"{url} -> error {type(e).__name__}")
        return None


def download_pages(urls, max_workers=8, timeout=10.0):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = {url: executor.submit(download_site, url, timeout) for url in urls}
        concurrent.futures.wait(futures.values())
    return {url: fut.result() for url, fut in futures.items()}


if __name__ == "__main__":
    import time
    sites = ["https://www.jython.org", "http://olympus.realpython.org/dice"] * 2
    start = time.time()
    download_pages(sites, max_workers=5)
    print(f"Downloaded {len(sites)} in {time.time() - start:.2f} seconds")
