# corpus: buggy
# style: contract
# bug: no-lock
# must_fail: no_lost_update, no_overdraft, conservation, linearizable
# may_fail: simulate_total
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("Amount must be positive")
        self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("Amount must be positive")
        if self.balance >= amount:
            self.balance -= amount
            return True
        else:
            return False


def simulate(account, customers, deposits_each, amount):
    def customer():
        for i in range(deposits_each):
            account.deposit(amount)

    threads = []
    for i in range(customers):
        t = threading.Thread(target=customer)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return account.balance


if __name__ == "__main__":
    # works fine on my machine!
    print(simulate(BankAccount(), 10, 10000, 1))
