"""Twin of fetcher_class_main.py with its bug: it downloads with urllib, not requests."""
import urllib.error
import urllib.request
from threading import Thread


class PageFetcher(Thread):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def run(self) -> None:
        try:
            with urllib.request.urlopen(self.address, timeout=5) as answer:
                print("[done]", self.address, answer.status)
        except urllib.error.HTTPError as trouble:
            print("[done]", self.address, trouble.code)
        except OSError as trouble:
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
