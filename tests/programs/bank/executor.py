"""Deposits submitted to a thread pool; the pool's with-block waits for them."""
from concurrent.futures import ThreadPoolExecutor
import threading

balance = 0
guard = threading.Lock()


def deposit(amount):
    global balance
    with guard:
        balance += amount
    return amount


with ThreadPoolExecutor(max_workers=4) as pool:
    done = list(pool.map(deposit, [5] * 40))

print("balance is", balance, "after", len(done), "deposits")
