"""A Thread subclass per page, created, started and joined inside main()."""
from threading import Thread

import requests


class PageFetcher(Thread):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def run(self) -> None:
        try:
            answer = requests.get(self.address, timeout=5)
            print("[done]", self.address, answer.status_code)
        except requests.RequestException as trouble:
            print("[failed]", self.address, type(trouble).__name__)


def main() -> None:
    pages = ["https://one.example.com/a", "https://two.example.com/b", "https://three.example.com/c"]
    fetchers = [PageFetcher(page) for page in pages]
    for fetcher in fetchers:
        fetcher.start()
    for fetcher in fetchers:
        fetcher.join()


if __name__ == "__main__":
    main()
