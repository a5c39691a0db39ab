# corpus: correct
# style: program
# bug: none
# must_fail: 
# may_fail: 
import threading

import requests

SITES = ["https://docs.python.org/3/", "https://pypi.org/", "https://github.com/"]
done = 0
done_lock = threading.Lock()


def get(site):
    global done
    try:
        outcome = requests.get(site, timeout=5).status_code
    except requests.RequestException as exc:
        outcome = f"failed ({type(exc).__name__})"
    with done_lock:
        done += 1
        count = done
    print(f"[{count}/{len(SITES)}] {site} {outcome}")


threads = []
for site in SITES:
    thread = threading.Thread(target=get, args=(site,))
    thread.start()
    threads.append(thread)
for thread in threads:
    thread.join()
print("all", done, "downloaded")
