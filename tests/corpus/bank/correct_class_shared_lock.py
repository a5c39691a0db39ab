# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
# One lock for the whole bank (class attribute).  This is slower than one
# lock per account because unrelated accounts wait for each other, but it is
# always safe and transfer() can't deadlock because there is only one lock.
import threading


class BankAccount:
    bank_lock = threading.Lock()   # shared by ALL accounts

    def __init__(self, balance=0):
        self.balance = balance     # per-account balance (instance attribute)

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with BankAccount.bank_lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with BankAccount.bank_lock:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True


def transfer(src, dst, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    with BankAccount.bank_lock:
        # can't call src.withdraw() here: Lock is not re-entrant
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
