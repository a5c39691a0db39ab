"""A textbook account class at size: 2 customers x 2,000,000 deposits and withdrawals, each under
the account's lock (about 1.7 s natively)."""
import threading


class Account:
    def __init__(self):
        self.balance = 0
        self.lock = threading.Lock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        with self.lock:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True


def customer(account, rounds):
    for _ in range(rounds):
        account.deposit(3)
        account.withdraw(2)


account = Account()
customers = [threading.Thread(target=customer, args=(account, 2_000_000)) for _ in range(2)]
for c in customers:
    c.start()
for c in customers:
    c.join()
print("balance", account.balance)
