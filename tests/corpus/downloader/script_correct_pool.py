# corpus: correct
# style: program
# bug: none
# must_fail: 
# may_fail: 
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import requests

SITES = [
    "https://www.google.com",
    "https://www.bbc.co.uk",
    "https://www.reddit.com",
    "https://stackoverflow.com",
]


def get_status(site):
    response = requests.get(site, timeout=10)
    return response.status_code


start = time.perf_counter()
with ThreadPoolExecutor(max_workers=4) as executor:
    future_to_site = {executor.submit(get_status, site): site for site in SITES}
    for future in as_completed(future_to_site):
        site = future_to_site[future]
        try:
            print(f"{site}: {future.result()}")
        except Exception as exc:
            print(f"{site}: error {exc.__class__.__name__}")
elapsed = time.perf_counter() - start
print(f"Finished in {elapsed:.2f} seconds")
