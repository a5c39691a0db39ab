"""Check a few sites at once: main() starts one thread per site and waits for them all."""
import threading

import requests

SITES = ["https://news.example.org/today", "https://shop.example.net/", "https://docs.example.com/guide",
         "https://status.example.io/", "https://blog.example.dev/post"]


def check(site: str) -> None:
    try:
        reply = requests.get(site)
        print(f"{site} => {reply.status_code}")
    except requests.RequestException as problem:
        print(f"{site} => failed: {problem}")


def main() -> None:
    workers = []
    for site in SITES:
        worker = threading.Thread(target=check, args=(site,))
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join()
    print("all sites checked")


if __name__ == "__main__":
    main()
