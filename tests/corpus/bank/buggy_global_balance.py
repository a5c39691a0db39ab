# corpus: buggy
# style: contract
# bug: global-balance
# must_fail: independent_accounts
# may_fail: basic, model, conservation, linearizable, simulate_total
import threading

total_balance = 0         # money in the account
lock = threading.Lock()   # protects total_balance


class BankAccount:
    def __init__(self, balance=0):
        global total_balance
        total_balance = balance

    @property
    def balance(self):
        return total_balance

    def deposit(self, amount):
        global total_balance
        if amount <= 0:
            raise ValueError("amount must be positive")
        with lock:
            total_balance += amount

    def withdraw(self, amount):
        global total_balance
        if amount <= 0:
            raise ValueError("amount must be positive")
        with lock:
            if total_balance < amount:
                return False
            total_balance -= amount
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
