import queue
import threading


class BankAccount:
    """Each account has a worker thread that owns its balance; methods send it messages."""

    def __init__(self, balance=0):
        self._balance = balance
        self._inbox = queue.Queue()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            op, amount, reply = self._inbox.get()
            if op == "deposit":
                self._balance += amount
                reply.put(None)
            elif op == "withdraw":
                if amount <= self._balance:
                    self._balance -= amount
                    reply.put(True)
                else:
                    reply.put(False)
            else:
                reply.put(self._balance)

    def _call(self, op, amount=0):
        reply = queue.Queue()
        self._inbox.put((op, amount, reply))
        return reply.get()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self._call("deposit", amount)

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        return self._call("withdraw", amount)

    @property
    def balance(self):
        return self._call("balance")


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
