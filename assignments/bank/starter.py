"""Starter for the bank exercise. Save your solution as ``bank.py``.

Self-check:  grader check bank bank.py          (add --seed N to replay a run)
"""

import threading  # noqa: F401  (you will need it)


class BankAccount:
    """A bank account that many threads can use at the same time."""

    def __init__(self, balance=0):
        # TODO: store the balance and create this account's own lock
        raise NotImplementedError

    @property
    def balance(self):
        """The current balance (a plain attribute is fine too)."""
        # TODO: return the balance
        raise NotImplementedError

    def deposit(self, amount):
        """Add ``amount`` to the balance. ValueError if amount <= 0."""
        # TODO: validate, then update the balance while holding the lock
        raise NotImplementedError

    def withdraw(self, amount):
        """Remove ``amount`` if the funds allow it.

        Returns True on success; returns False and leaves the balance
        unchanged if funds are insufficient. ValueError if amount <= 0.
        """
        # TODO: validate; check AND debit while holding the lock
        raise NotImplementedError


def simulate(account, customers, deposits_each, amount):
    """Start ``customers`` threads that each deposit ``amount`` ``deposits_each``
    times into ``account``; wait for all of them; return the final balance.

    The threads must run concurrently: start them all, then join them all.
    """
    # TODO: create the threads, start all, join all, return the balance
    raise NotImplementedError


# Bonus ---------------------------------------------------------------------

def transfer(src, dst, amount):
    """Atomically move ``amount`` from ``src`` to ``dst``.

    Returns True on success; False (nothing changes) if ``src`` has
    insufficient funds. ValueError if amount <= 0. Must not deadlock when
    transfers run in both directions at once (hint: lock in a global order,
    e.g. sorted by ``id()``).
    """
    # TODO (bonus)
    raise NotImplementedError


if __name__ == "__main__":
    acct = BankAccount()
    final = simulate(acct, customers=10, deposits_each=1000, amount=1)
    print("final balance:", final, "(expected 10000)")
