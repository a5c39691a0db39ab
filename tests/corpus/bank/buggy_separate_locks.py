# corpus: buggy
# style: contract
# bug: separate-locks
# must_fail: conservation, linearizable
# may_fail: no_overdraft
# One lock for deposits and one for withdrawals, so a deposit doesn't
# have to wait for a withdrawal (faster!)
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.deposit_lock = threading.Lock()
        self.withdraw_lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("must deposit a positive amount")
        with self.deposit_lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("must withdraw a positive amount")
        with self.withdraw_lock:
            if self.balance < amount:
                return False
            self.balance -= amount
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
