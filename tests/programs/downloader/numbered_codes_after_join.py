"""Twin of numbered_requests.py with its bug: the threads keep their codes and the main thread
prints them, without the URLs, once every thread is joined."""
import threading

import requests

PAGES = ["https://pages.example.org/one", "https://pages.example.org/two",
         "https://pages.example.org/three", "https://pages.example.org/four"]
codes: list[object] = []


def fetch(url: str) -> None:
    try:
        codes.append(requests.get(url, timeout=5).status_code)
    except requests.RequestException:
        codes.append("failed")


def main() -> None:
    threads = [threading.Thread(target=fetch, args=(url,)) for url in PAGES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for code in codes:
        print("status", code)


if __name__ == "__main__":
    main()
