"""Twin of main_thread_per_url.py with its bug: the codes are kept and printed after every
thread has been joined, in the order of the list, not as each download completes."""
import threading

import requests

SITES = ["https://news.example.org/today", "https://shop.example.net/", "https://docs.example.com/guide",
         "https://status.example.io/", "https://blog.example.dev/post"]
codes = {}


def check(site: str) -> None:
    try:
        codes[site] = requests.get(site).status_code
    except requests.RequestException as problem:
        codes[site] = f"failed: {problem}"


def main() -> None:
    workers = [threading.Thread(target=check, args=(site,)) for site in SITES]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for site in SITES:
        print(f"{site} => {codes[site]}")


if __name__ == "__main__":
    main()
