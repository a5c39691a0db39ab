"""Twin of one_url_bare_codes.py with its bug: executor.map hands the codes back in the order
the requests were submitted, so each is printed only once every earlier one has finished."""
from concurrent.futures import ThreadPoolExecutor

import requests

PAGE = "https://api.example.com/health"


def code_of(address: str) -> int:
    return requests.get(address, timeout=3).status_code


def run(times: int) -> None:
    with ThreadPoolExecutor(max_workers=times) as pool:
        for code in pool.map(code_of, [PAGE] * times):
            print(code)


if __name__ == "__main__":
    run(6)
