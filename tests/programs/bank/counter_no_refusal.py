"""Increment/decrement threads on a counter class that never refuses anything (it may go
below zero: that is the demo), and a ledger that warns about an overdraft and books it anyway.
Neither tries to refuse, so neither is judged for letting the balance go negative."""
import threading


class Counter:
    def __init__(self, value=0):
        self.value = value
        self.lock = threading.Lock()

    def up(self, n):
        with self.lock:
            self.value += n

    def down(self, n):
        with self.lock:
            self.value -= n


class Ledger:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def credit(self, amount):
        with self.lock:
            self.balance += amount

    def debit(self, amount):
        with self.lock:
            if amount > self.balance:
                print("note: this debit overdraws the ledger")
            self.balance -= amount


counter, ledger = Counter(), Ledger(10)
workers = [threading.Thread(target=counter.down, args=(3,)) for _ in range(4)]
workers += [threading.Thread(target=ledger.debit, args=(6,)) for _ in range(3)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("counter", counter.value, "ledger", ledger.balance)
