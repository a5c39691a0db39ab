# corpus: buggy
# style: contract
# bug: new-lock-per-call
# must_fail: no_lost_update, no_overdraft, conservation, linearizable
# may_fail: simulate_total
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("Invalid deposit amount")
        # lock so that only one thread can deposit at a time
        with threading.Lock():
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("Invalid withdraw amount")
        lock = threading.Lock()
        lock.acquire()
        try:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True
        finally:
            lock.release()


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = []
    for _ in range(customers):
        threads.append(threading.Thread(target=customer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance
