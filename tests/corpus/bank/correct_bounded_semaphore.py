# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
# a BoundedSemaphore(1) works like a lock (only one thread inside at a time)
import threading

class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.sem = threading.BoundedSemaphore(1)

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount <= 0")
        with self.sem:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount <= 0")
        with self.sem:
            if self.balance >= amount:
                self.balance -= amount
                return True
        return False

def simulate(account, customers, deposits_each, amount):
    def go():
        for i in range(deposits_each):
            account.deposit(amount)
    threads = []
    for c in range(customers):
        threads.append(threading.Thread(target=go))
    for t in threads: t.start()
    for t in threads: t.join()
    return account.balance

if __name__ == "__main__":
    a = BankAccount()
    print(simulate(a, 4, 1000, 1))
