"""download_pages without max_workers and timeout (not the assignment's signature), used by a
program that downloads concurrently and prints each status as it arrives."""
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests


def download_pages(urls):
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(requests.get, url, timeout=5): url for url in urls}
        for future in as_completed(futures):
            url = futures[future]
            try:
                results[url] = future.result().status_code
            except requests.RequestException as problem:
                results[url] = None
                print(url, "error", type(problem).__name__)
                continue
            print(url, results[url])
    return results


if __name__ == "__main__":
    download_pages(["https://red.example.com/", "https://green.example.com/",
                    "https://blue.example.com/", "https://grey.example.com/"])
