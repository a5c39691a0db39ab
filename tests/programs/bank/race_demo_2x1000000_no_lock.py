"""The same demo without the lock: updates are lost."""
import threading

counter = 0


def work():
    global counter
    for _ in range(1_000_000):
        counter += 1


a = threading.Thread(target=work)
b = threading.Thread(target=work)
a.start()
b.start()
a.join()
b.join()
print("counter =", counter)
