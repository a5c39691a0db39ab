import threading
from concurrent.futures import ThreadPoolExecutor

lock = threading.Lock()
balance = 0


def deposit(n):
    global balance
    with lock:
        balance += n


pool = ThreadPoolExecutor(max_workers=4)
futures = [pool.submit(deposit, 10) for _ in range(20)]
for f in futures:
    f.result()
print("balance", balance)
