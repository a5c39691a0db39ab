"""A customer thread that raises: the error must point at this file's line."""
import threading

lock = threading.Lock()
accounts = {"ana": 10}


def pay(name):
    with lock:
        accounts[name] -= 1


threads = [threading.Thread(target=pay, args=(n,)) for n in ("ana", "bob")]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(accounts)
