# corpus: buggy
# style: program
# bug: script-unlocked-tally
# must_fail: script_shared_state
# may_fail: 
import threading

import requests

PAGES = [
    "https://www.example.org/",
    "https://httpbin.org/get",
    "https://www.wikipedia.org/",
    "https://www.python.org/",
]
by_status = {}


def download(url):
    try:
        status = requests.get(url, timeout=10).status_code
    except requests.RequestException as exc:
        status = "error"
        print(f"{url}: error {exc}")
    else:
        print(f"{url}: {status}")
    by_status[status] = by_status.get(status, 0) + 1


workers = [threading.Thread(target=download, args=(page,)) for page in PAGES]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("summary:", by_status)
