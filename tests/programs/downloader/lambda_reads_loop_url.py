"""Each thread's target is a lambda that reads the loop's `url` when the thread runs: by then
the loop has moved on, so threads fetch the last pages and some pages are never fetched."""
import threading

import requests

PAGES = ["https://one.example.org/", "https://two.example.com/", "https://three.example.net/",
         "https://four.example.io/"]


def fetch(url: str) -> None:
    try:
        print(url, requests.get(url, timeout=5).status_code)
    except requests.RequestException as error:
        print(url, "error", type(error).__name__)


def main() -> None:
    threads = []
    for url in PAGES:
        threads.append(threading.Thread(target=lambda: fetch(url)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
