"""A thread per page that prints what each page says, but never its status code."""
import threading

import requests

PAGES = ["https://north.example.com/", "https://south.example.com/", "https://east.example.com/"]


def show(page: str) -> None:
    reply = requests.get(page, timeout=5)
    print(page, reply.text.strip()[:60])


threads = [threading.Thread(target=show, args=(page,)) for page in PAGES]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
