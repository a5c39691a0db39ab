# corpus: correct
# style: program
# bug: none
# must_fail: 
# may_fail: 
"""Mirror checker: main() sends every mirror to a thread pool and reports each as it answers."""
import concurrent.futures

import requests

MIRRORS = [
    "https://mirror-a.example.edu/pub/",
    "https://mirror-b.example.org/pub/",
    "https://mirror-c.example.net/pub/",
    "https://mirror-d.example.com/pub/",
]


def ping(mirror):
    return requests.get(mirror, timeout=8).status_code


def main():
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        pending = {pool.submit(ping, mirror): mirror for mirror in MIRRORS}
        for done in concurrent.futures.as_completed(pending):
            mirror = pending[done]
            try:
                print(f"{mirror}: HTTP {done.result()}")
            except requests.RequestException as exc:
                print(f"{mirror}: error ({exc.__class__.__name__})")


if __name__ == "__main__":
    main()
