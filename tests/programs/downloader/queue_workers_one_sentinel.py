"""Three queue workers but a single None to stop them: the downloads all finish and are printed
on time, then two workers wait for work forever and the main thread's join never returns."""
import queue
import threading

import requests

PAGES = ["https://news.example.org/", "https://mail.example.com/inbox", "https://maps.example.net/",
         "https://docs.example.io/start", "https://shop.example.org/deals"]
jobs: "queue.Queue[str | None]" = queue.Queue()


def worker() -> None:
    while True:
        url = jobs.get()
        if url is None:
            return
        try:
            print(url, requests.get(url, timeout=5).status_code)
        except requests.RequestException as error:
            print(url, "error", type(error).__name__)


def main() -> None:
    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for url in PAGES:
        jobs.put(url)
    jobs.put(None)
    for thread in workers:
        thread.join()
    print("all done")


if __name__ == "__main__":
    main()
