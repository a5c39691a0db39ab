"""A thread per host talking HTTP itself with http.client: blocked, and the call is named."""
import http.client
import threading

HOSTS = ["one.example.com", "two.example.com", "three.example.com"]


def ask(host: str) -> None:
    try:
        link = http.client.HTTPSConnection(host, timeout=5)
        link.request("GET", "/")
        print(host, link.getresponse().status)
    except OSError as trouble:
        print(host, "failed", type(trouble).__name__)


def main() -> None:
    askers = [threading.Thread(target=ask, args=(host,)) for host in HOSTS]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()


if __name__ == "__main__":
    main()
