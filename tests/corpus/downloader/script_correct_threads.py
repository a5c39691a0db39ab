# corpus: correct
# style: program
# bug: none
# must_fail: 
# may_fail: 
# Check if some websites are up, using one thread per site.
import threading
import requests

urls = [
    "https://www.python.org",
    "https://www.wikipedia.org",
    "https://github.com",
    "https://www.djangoproject.com",
    "https://httpbin.org/get",
]


def check(url):
    try:
        r = requests.get(url, timeout=5)
        print(f"{url} -> {r.status_code}")
    except requests.RequestException as e:
        print(f"{url} -> error {type(e).__name__}")


threads = []
for url in urls:
    t = threading.Thread(target=check, args=(url,))
    threads.append(t)
    t.start()

for t in threads:
    t.join()

print("All done!")
