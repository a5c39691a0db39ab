"""Queue workers that skip task_done() when a download fails: with every URL answering, the
program ends; with a failing URL, q.join() waits forever."""
import queue
import threading

import requests

PAGES = ["https://alpha.example.org/", "https://beta.example.com/x", "https://gamma.example.net/y",
         "https://delta.example.io/z"]
jobs: "queue.Queue[str]" = queue.Queue()


def worker() -> None:
    while True:
        url = jobs.get()
        try:
            code = requests.get(url, timeout=5).status_code
        except requests.RequestException as error:
            print(url, "error", type(error).__name__)
            continue
        print(url, code)
        jobs.task_done()


for _ in range(2):
    threading.Thread(target=worker, daemon=True).start()
for page in PAGES:
    jobs.put(page)
jobs.join()
