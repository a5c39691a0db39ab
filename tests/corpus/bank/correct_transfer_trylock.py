# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
"""Transfer without lock ordering: take the first lock, *try* the second one,
and if it is busy give everything back and retry after a small random sleep.
Nobody ever waits while holding a lock, so there is no deadlock."""
import random
import threading
import time


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("positive amounts only")
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("positive amounts only")
        with self.lock:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True


def transfer(src, dst, amount):
    if amount <= 0:
        raise ValueError("positive amounts only")
    if src is dst:
        with src.lock:
            return src.balance >= amount
    while True:
        with src.lock:
            if dst.lock.acquire(blocking=False):
                try:
                    if src.balance < amount:
                        return False
                    src.balance -= amount
                    dst.balance += amount
                    return True
                finally:
                    dst.lock.release()
        # back off so the other transfer can finish
        time.sleep(random.uniform(0, 0.001))


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = [threading.Thread(target=customer) for _ in range(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance


if __name__ == "__main__":
    x, y = BankAccount(1000), BankAccount(1000)
    jobs = []
    for _ in range(50):
        jobs.append(threading.Thread(target=transfer, args=(x, y, 7)))
        jobs.append(threading.Thread(target=transfer, args=(y, x, 5)))
    for j in jobs:
        j.start()
    for j in jobs:
        j.join()
    print(x.balance, y.balance, x.balance + y.balance)
