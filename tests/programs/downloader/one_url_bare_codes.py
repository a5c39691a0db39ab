"""Load-test one page: six threads fetch the same address and each prints the code it got."""
import threading

import requests

PAGE = "https://api.example.com/health"


def hit() -> None:
    print(requests.get(PAGE, timeout=3).status_code)


def run(times: int) -> None:
    crowd = [threading.Thread(target=hit) for _ in range(times)]
    for member in crowd:
        member.start()
    for member in crowd:
        member.join()


if __name__ == "__main__":
    run(6)
