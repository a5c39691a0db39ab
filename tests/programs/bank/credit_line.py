"""A credit account: its funds check allows going down to -limit and refuses past it. Twice
the balance fits in its credit line; an amount past the limit is refused. Not an overdraft bug."""
import threading


class CreditAccount:
    def __init__(self, balance=0, limit=5000):
        self.balance = balance
        self.limit = limit
        self.lock = threading.Lock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        with self.lock:
            if self.balance - amount < -self.limit:
                return False
            self.balance -= amount
            return True


def spender(account):
    for _ in range(10):
        account.withdraw(100)
        account.deposit(40)


if __name__ == "__main__":
    account = CreditAccount(200)
    spenders = [threading.Thread(target=spender, args=(account,)) for _ in range(3)]
    for s in spenders:
        s.start()
    for s in spenders:
        s.join()
    print("balance:", account.balance)
