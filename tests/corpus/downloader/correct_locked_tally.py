# corpus: correct
# style: contract
# bug: none
# must_fail: 
# may_fail: 
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

tally = {}
tally_lock = threading.Lock()


def fetch(url, timeout):
    try:
        code = requests.get(url, timeout=timeout).status_code
        print(f"{code} {url}")
    except requests.RequestException as exc:
        code = None
        print(f"ERROR {url} ({exc.__class__.__name__})")
    with tally_lock:
        tally[code] = tally.get(code, 0) + 1
    return code


def download_pages(urls, max_workers=8, timeout=10.0):
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        codes = list(pool.map(lambda u: fetch(u, timeout), urls))
    return dict(zip(urls, codes))
