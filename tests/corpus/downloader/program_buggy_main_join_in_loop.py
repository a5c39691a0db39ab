# corpus: buggy
# style: program
# bug: program-join-in-loop
# must_fail: script_overlap
# may_fail: script_completion_order, script_waits, script_shared_state
"""Mirror checker: run() starts a thread per mirror but joins it before starting the next."""
import threading

import requests

MIRRORS = [
    "https://mirror-a.example.edu/pub/",
    "https://mirror-b.example.org/pub/",
    "https://mirror-c.example.net/pub/",
    "https://mirror-d.example.com/pub/",
]


def ping(mirror):
    try:
        print(mirror, requests.get(mirror, timeout=8).status_code)
    except requests.RequestException as exc:
        print(mirror, "failed", exc.__class__.__name__)


def run(mirrors):
    for mirror in mirrors:
        worker = threading.Thread(target=ping, args=(mirror,))
        worker.start()
        worker.join()


if __name__ == "__main__":
    run(MIRRORS)
