# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
import threading


class BankAccount:
    """Bank account protected by a Condition.

    A Condition wraps a lock, so `with self.cond:` gives mutual exclusion.
    Deposits notify waiters so that wait_for_funds() can wake up.
    withdraw() itself never blocks (as the assignment requires).
    """

    def __init__(self, balance=0):
        self.balance = balance
        self.cond = threading.Condition()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be > 0")
        with self.cond:
            self.balance += amount
            self.cond.notify_all()

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be > 0")
        with self.cond:
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False

    def wait_for_funds(self, amount, timeout=None):
        """Extra: block until the balance is at least `amount`."""
        with self.cond:
            return self.cond.wait_for(lambda: self.balance >= amount, timeout)


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
    acct = BankAccount()
    waiter = threading.Thread(target=lambda: print("got funds:", acct.wait_for_funds(50, 5)))
    waiter.start()
    print(simulate(acct, 4, 25, 1))
    waiter.join()
