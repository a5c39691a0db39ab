"""Seven clerks, each reading one amount from stdin while holding the lock."""
import sys
import threading

balance = 0
till = threading.Lock()


def clerk():
    global balance
    till.acquire()
    balance += int(sys.stdin.readline())
    till.release()


clerks = [threading.Thread(target=clerk) for _ in range(7)]
for c in clerks:
    c.start()
for c in clerks:
    c.join()
print("balance", balance)
