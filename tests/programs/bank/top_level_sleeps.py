"""A customer loop at top level that sleeps 2 s per round (20 s in all, 60 s with the teller)."""
import threading
import time

balance = 0
lock = threading.Lock()


def teller(amount):
    global balance
    time.sleep(1)
    with lock:
        balance += amount


for round_number in range(10):
    workers = [threading.Thread(target=teller, args=(round_number,)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    time.sleep(2)
print("balance after 10 rounds:", balance)
