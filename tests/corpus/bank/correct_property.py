# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
# CS 240 - Assignment: Concurrency
# Author: Tom Becker
#
# The balance is private (_balance) and only readable through a property,
# so nobody outside the class can change it without going through the lock.

import threading


class BankAccount:
    """A simple thread-safe bank account."""

    def __init__(self, balance=0):
        """Create an account with an optional starting balance."""
        self._balance = balance
        self._lock = threading.Lock()

    @property
    def balance(self):
        """Current balance (read-only)."""
        with self._lock:
            return self._balance

    def deposit(self, amount):
        """Add amount to the account.

        Raises:
            ValueError: if amount is zero or negative.
        """
        if amount <= 0:
            raise ValueError("Deposit amount must be positive.")
        with self._lock:
            self._balance += amount

    def withdraw(self, amount):
        """Take amount out of the account.

        Returns:
            True if the money was withdrawn, False if there was not enough.

        Raises:
            ValueError: if amount is zero or negative.
        """
        if amount <= 0:
            raise ValueError("Withdrawal amount must be positive.")
        with self._lock:
            if amount > self._balance:
                return False
            self._balance -= amount
        return True


def _customer(account, deposits_each, amount):
    """One customer makes deposits_each deposits of amount."""
    for _ in range(deposits_each):
        account.deposit(amount)


def simulate(account, customers, deposits_each, amount):
    """Run `customers` threads that all deposit into `account`.

    Returns the balance after every thread has finished.
    """
    threads = []
    for _ in range(customers):
        thread = threading.Thread(target=_customer, args=(account, deposits_each, amount))
        thread.start()
        threads.append(thread)

    # wait for all customers to finish
    for thread in threads:
        thread.join()

    return account.balance


if __name__ == "__main__":
    my_account = BankAccount(50)
    result = simulate(my_account, customers=8, deposits_each=500, amount=3)
    print(f"Expected {50 + 8 * 500 * 3}, got {result}")
