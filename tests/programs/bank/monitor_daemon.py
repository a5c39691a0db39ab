import threading
import time

lock = threading.Lock()
balance = 0


def monitor():
    while True:
        time.sleep(0.5)
        print("balance is", balance)


def customer(times):
    global balance
    for _ in range(times):
        with lock:
            balance += 10


threading.Thread(target=monitor, daemon=True).start()
workers = [threading.Thread(target=customer, args=(100,)) for _ in range(3)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("final balance", balance)
