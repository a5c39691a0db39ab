"""An account the grader cannot make (its constructor needs an owner and a balance) and whose
funds check is broken: left alone by the overdraft check (skipped, never failed), since it
cannot be tried without guessing what the arguments mean."""
import threading


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        with self.lock:
            if self.balance < self.balance - amount:
                return False
            self.balance -= amount
            return True


def customer(account):
    for _ in range(5):
        account.deposit(10)
        account.withdraw(10)


if __name__ == "__main__":
    account = Account("ana", 100)
    customers = [threading.Thread(target=customer, args=(account,)) for _ in range(3)]
    for c in customers:
        c.start()
    for c in customers:
        c.join()
    print(account.owner, account.balance)
