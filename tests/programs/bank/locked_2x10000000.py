"""The issue's size (issue 18, item 3): 2 threads x 10,000,000 locked updates, about 4 s natively."""
import threading

total = 0
total_lock = threading.Lock()


def add_many():
    global total
    for _ in range(10_000_000):
        with total_lock:
            total += 1


workers = [threading.Thread(target=add_many) for _ in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("total:", total)
