"""For each host, try plain http first, then https; report both once the host is done, a
moment apart (the thread hands over the processor between its two lines)."""
import threading
import time

import requests

HOSTS = ["alpha.example.org", "bravo.example.net", "charlie.example.com", "delta.example.io"]


def probe(host: str) -> None:
    found = []
    for scheme in ("http", "https"):
        address = f"{scheme}://{host}/"
        try:
            found.append((address, requests.get(address, timeout=4).status_code))
        except requests.RequestException as trouble:
            found.append((address, f"error {type(trouble).__name__}"))
    for address, outcome in found:
        print(address, outcome)
        time.sleep(0.05)


def main() -> None:
    threads = [threading.Thread(target=probe, args=(host,)) for host in HOSTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
