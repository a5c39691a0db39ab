"""Twin of http_then_https.py with its bug: each worker fetches two different hosts and prints
both lines only after the second, so the first host's line waits for another download."""
import threading

import requests

HOSTS = ["alpha.example.org", "bravo.example.net", "charlie.example.com", "delta.example.io"]


def probe(pair: list[str]) -> None:
    found = []
    for host in pair:
        address = f"https://{host}/"
        try:
            found.append((address, requests.get(address, timeout=4).status_code))
        except requests.RequestException as trouble:
            found.append((address, f"error {type(trouble).__name__}"))
    for address, outcome in found:
        print(address, outcome)


def main() -> None:
    threads = [threading.Thread(target=probe, args=(HOSTS[i:i + 2],)) for i in (0, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
