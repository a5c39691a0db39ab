"""The contract's BankAccount with its balance and lock in private attributes."""
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.__balance = balance
        self.__lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.__lock:
            self.__balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.__lock:
            if amount > self.__balance:
                return False
            self.__balance -= amount
            return True

    @property
    def balance(self):
        with self.__lock:
            return self.__balance


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = [threading.Thread(target=customer) for _ in range(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return account.balance
