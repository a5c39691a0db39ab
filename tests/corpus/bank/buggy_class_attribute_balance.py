# corpus: buggy
# style: contract
# bug: class-attribute-balance
# must_fail: independent_accounts
# may_fail: basic, model, conservation, linearizable, simulate_total
import threading


class BankAccount:
    balance = 0
    lock = threading.Lock()

    def __init__(self, balance=0):
        BankAccount.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            BankAccount.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            if BankAccount.balance < amount:
                return False
            BankAccount.balance -= amount
            return True


def simulate(account, customers, deposits_each, amount):
    threads = []
    for i in range(customers):
        def customer():
            for j in range(deposits_each):
                account.deposit(amount)
        threads.append(threading.Thread(target=customer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance


if __name__ == "__main__":
    a = BankAccount(10)
    b = BankAccount(20)
    print(a.balance, b.balance)
