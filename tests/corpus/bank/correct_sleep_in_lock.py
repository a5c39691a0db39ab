# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
import threading
import time


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            current = self.balance
            time.sleep(0.001)  # pretend to talk to the bank's database
            self.balance = current + amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            current = self.balance
            time.sleep(0.001)  # database round trip
            if current < amount:
                return False
            self.balance = current - amount
            return True


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
    start = time.perf_counter()
    print(simulate(BankAccount(), 5, 20, 10), "in", round(time.perf_counter() - start, 2), "s")
