# corpus: buggy
# style: contract
# bug: transfer-deadlock
# must_fail: transfer_no_deadlock
# may_fail: transfer_atomic
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True


def transfer(src, dst, amount):
    """Atomic transfer: hold both locks while moving the money."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    with src.lock:
        with dst.lock:
            if src.balance < amount:
                return False
            src.balance -= amount
            dst.balance += amount
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
    a, b = BankAccount(100), BankAccount(100)
    print(transfer(a, b, 30), a.balance, b.balance)
