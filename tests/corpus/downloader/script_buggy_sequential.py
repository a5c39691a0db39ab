# corpus: buggy
# style: program
# bug: script-sequential
# must_fail: script_overlap
# may_fail: script_completion_order, script_waits, script_shared_state
import requests
import time

websites = ["https://www.python.org", "https://www.google.com", "https://www.youtube.com", "https://www.amazon.com"]

start = time.time()
for site in websites:
    try:
        res = requests.get(site, timeout=10)
        print(site, res.status_code)
    except Exception as e:
        print(site, "error", type(e).__name__)

print("took", round(time.time() - start, 2), "seconds")
