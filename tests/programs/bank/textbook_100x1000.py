"""The textbook size: 100 threads x 1,000 locked deposits."""
import threading

balance = 0
lock = threading.Lock()


def customer():
    global balance
    for _ in range(1000):
        with lock:
            balance += 1


threads = [threading.Thread(target=customer) for _ in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("final balance", balance)
