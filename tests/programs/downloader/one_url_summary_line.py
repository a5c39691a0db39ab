"""Twin of one_url_bare_codes.py with its bug: one summary line of every code at the end,
no line per download."""
from concurrent.futures import ThreadPoolExecutor

import requests

PAGE = "https://api.example.com/health"


def run(times: int) -> None:
    with ThreadPoolExecutor(max_workers=times) as pool:
        jobs = [pool.submit(requests.get, PAGE, timeout=3) for _ in range(times)]
    print("codes:", [job.result().status_code for job in jobs])


if __name__ == "__main__":
    run(6)
