"""A common race demo at full size: 2 threads x 1,000,000 locked increments."""
import threading

counter = 0
lock = threading.Lock()


def work():
    global counter
    for _ in range(1_000_000):
        with lock:
            counter += 1


a = threading.Thread(target=work)
b = threading.Thread(target=work)
a.start()
b.start()
a.join()
b.join()
print("counter =", counter)
