"""Twin of transfer_tuple_locked.py with its bug: the balances are checked and updated with no lock."""
import threading


class Account:
    def __init__(self, balance):
        self.balance = balance


def transfer(source, target, amount):
    if source.balance >= amount:
        source.balance, target.balance = source.balance - amount, target.balance + amount


def clerk(source, target):
    for _ in range(200):
        transfer(source, target, 3)
        transfer(target, source, 2)


alice, bob = Account(400), Account(400)
clerks = [threading.Thread(target=clerk, args=(alice, bob)),
          threading.Thread(target=clerk, args=(bob, alice))]
for c in clerks:
    c.start()
for c in clerks:
    c.join()
print("alice", alice.balance, "bob", bob.balance, "total", alice.balance + bob.balance)
