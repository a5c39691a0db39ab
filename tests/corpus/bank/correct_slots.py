# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
import threading


class BankAccount:
    __slots__ = ("_balance", "_lock")

    def __init__(self, balance: int = 0) -> None:
        self._balance = balance
        self._lock = threading.Lock()

    @property
    def balance(self) -> int:
        return self._balance

    def deposit(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"deposit amount must be > 0, got {amount!r}")
        with self._lock:
            self._balance += amount

    def withdraw(self, amount: int) -> bool:
        if amount <= 0:
            raise ValueError(f"withdraw amount must be > 0, got {amount!r}")
        with self._lock:
            if self._balance < amount:
                return False
            self._balance -= amount
            return True


def simulate(account: BankAccount, customers: int, deposits_each: int, amount: int) -> int:
    def customer() -> None:
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = [threading.Thread(target=customer, daemon=True) for _ in range(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance
