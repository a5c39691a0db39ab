"""Each thread reports its download by number, not by URL: the line can only be its own."""
import threading

import requests

PAGES = ["https://pages.example.org/one", "https://pages.example.org/two",
         "https://pages.example.org/three", "https://pages.example.org/four"]


def fetch(number: int, url: str) -> None:
    try:
        response = requests.get(url, timeout=5)
        print(f"Request {number} finished with status {response.status_code}")
    except requests.RequestException:
        print(f"Request {number} failed")


def main() -> None:
    threads = [threading.Thread(target=fetch, args=(n, url)) for n, url in enumerate(PAGES, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
