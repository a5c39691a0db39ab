"""A bank that prints its balance on stderr."""
import sys
import threading

balance = 0
guard = threading.Lock()


def saver():
    global balance
    for _ in range(100):
        with guard:
            balance += 2


savers = [threading.Thread(target=saver) for _ in range(3)]
for s in savers:
    s.start()
for s in savers:
    s.join()
print("balance:", balance, file=sys.stderr)
