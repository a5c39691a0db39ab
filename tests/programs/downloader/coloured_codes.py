"""Each thread prints its code in colour (a terminal escape right before the number)."""
import threading

import requests

PAGES = ["https://red.example.org/", "https://green.example.com/a", "https://blue.example.net/b"]
GREEN, YELLOW, RESET = "\033[32m", "\033[33m", "\033[0m"


def fetch(url: str) -> None:
    try:
        code = requests.get(url, timeout=5).status_code
        print(f"{GREEN if code < 400 else YELLOW}{code}{RESET} {url}")
    except requests.RequestException as error:
        print(f"{YELLOW}error{RESET} {url} {type(error).__name__}")


threads = [threading.Thread(target=fetch, args=(url,)) for url in PAGES]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
