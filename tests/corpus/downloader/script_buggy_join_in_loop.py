# corpus: buggy
# style: program
# bug: script-join-in-loop
# must_fail: script_overlap
# may_fail: script_completion_order, script_waits, script_shared_state
from threading import Thread
import requests

URLS = [
    'https://www.python.org',
    'https://www.github.com',
    'https://www.stackoverflow.com',
]

def download(url):
    try:
        r = requests.get(url, timeout=5)
        print('{} returned {}'.format(url, r.status_code))
    except requests.exceptions.RequestException as e:
        print('{} error {}'.format(url, type(e).__name__))

for url in URLS:
    th = Thread(target=download, args=(url,))
    th.start()
    th.join()

print('finished')
