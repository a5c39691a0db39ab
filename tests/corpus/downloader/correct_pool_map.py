# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
from concurrent.futures import ThreadPoolExecutor
import requests


def download_pages(urls, max_workers=8, timeout=10.0):
    def get_status(url):
        # runs in a worker thread, so we print as soon as this one finishes
        try:
            resp = requests.get(url, timeout=timeout)
        except requests.exceptions.RequestException as err:
            print(f"{url} error {type(err).__name__}")
            return None
        print(f"{url} {resp.status_code}")
        return resp.status_code

    with ThreadPoolExecutor(max_workers) as pool:
        codes = list(pool.map(get_status, urls))  # map keeps input order

    return dict(zip(urls, codes))


if __name__ == "__main__":
    print(download_pages(["https://www.python.org", "https://pypi.org"]))
