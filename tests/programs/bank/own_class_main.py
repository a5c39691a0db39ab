"""A bank of its own naming: an Account class, customers started from main()."""
import threading


class Account:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def put(self, amount):
        with self.lock:
            self.balance += amount

    def take(self, amount):
        with self.lock:
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False


def customer(account, rounds):
    for _ in range(rounds):
        account.put(10)
        account.take(5)


def main():
    account = Account(100)
    customers = [threading.Thread(target=customer, args=(account, 20)) for _ in range(4)]
    for c in customers:
        c.start()
    for c in customers:
        c.join()
    print("final balance:", account.balance)


if __name__ == "__main__":
    main()
