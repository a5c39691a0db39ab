"""The main thread reports each download as it completes, by the site's name, not its URL."""
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests

SITES = {"Docs": "https://docs.example.org/", "Shop": "https://shop.example.com/cart",
         "Blog": "https://blog.example.net/latest", "Wiki": "https://wiki.example.io/Main"}


def fetch(url: str) -> int:
    return requests.get(url, timeout=5).status_code


def main() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(fetch, url): name for name, url in SITES.items()}
        for future in as_completed(futures):
            try:
                print(f"{futures[future]}: {future.result()}")
            except requests.RequestException as error:
                print(f"{futures[future]}: failed ({type(error).__name__})")


if __name__ == "__main__":
    main()
