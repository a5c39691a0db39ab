# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
#
# bank.py
# uses explicit acquire()/release() with try/finally so the lock is always
# released even if something raises in the middle

import threading


class BankAccount(object):

    def __init__(self, balance=0):
        self.balance = balance
        self.mutex = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("Cannot deposit a non-positive amount")
        self.mutex.acquire()
        try:
            self.balance = self.balance + amount
        finally:
            self.mutex.release()

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("Cannot withdraw a non-positive amount")
        self.mutex.acquire()
        try:
            if self.balance < amount:
                ok = False
            else:
                self.balance = self.balance - amount
                ok = True
        finally:
            self.mutex.release()
        return ok


def deposit_many(account, n, amount):
    for i in range(n):
        account.deposit(amount)


def simulate(account, customers, deposits_each, amount):
    thread_list = []
    for i in range(customers):
        th = threading.Thread(target=deposit_many, args=(account, deposits_each, amount))
        thread_list.append(th)
    for th in thread_list:
        th.start()
    for th in thread_list:
        th.join()
    return account.balance


if __name__ == '__main__':
    account = BankAccount(100)
    print(account.withdraw(30), account.balance)
    print(account.withdraw(1000), account.balance)
    print(simulate(account, 5, 100, 2))
