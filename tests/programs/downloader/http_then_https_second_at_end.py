"""Twin of http_then_https_paced.py with its bug: each thread prints its plain-http line, but
the https results are kept and printed by the main thread once every thread is joined."""
import threading

import requests

HOSTS = ["alpha.example.org", "bravo.example.net", "charlie.example.com", "delta.example.io"]
secure: list[tuple[str, object]] = []


def probe(host: str) -> None:
    found = []
    for scheme in ("http", "https"):
        address = f"{scheme}://{host}/"
        try:
            found.append((address, requests.get(address, timeout=4).status_code))
        except requests.RequestException as trouble:
            found.append((address, f"error {type(trouble).__name__}"))
    print(*found[0])
    secure.append(found[1])


def main() -> None:
    threads = [threading.Thread(target=probe, args=(host,)) for host in HOSTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for address, outcome in secure:
        print(address, outcome)


if __name__ == "__main__":
    main()
