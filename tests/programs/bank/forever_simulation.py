"""A simulation that never ends: depositors and withdrawers loop forever with sleeps."""
import random
import threading
import time


class Vault:
    def __init__(self):
        self.money = 0
        self.cond = threading.Condition()

    def put(self, amount):
        with self.cond:
            self.money += amount
            self.cond.notify_all()

    def get(self, amount):
        with self.cond:
            while self.money < amount:
                self.cond.wait()
            self.money -= amount


def depositor(vault):
    while True:
        vault.put(random.randint(5, 10))
        print("deposit ->", vault.money)
        time.sleep(0.5)


def withdrawer(vault):
    while True:
        vault.get(random.randint(5, 10))
        print("withdraw ->", vault.money)
        time.sleep(0.7)


vault = Vault()
people = [threading.Thread(target=depositor, args=(vault,)) for _ in range(3)]
people += [threading.Thread(target=withdrawer, args=(vault,)) for _ in range(3)]
for person in people:
    person.start()
for person in people:
    person.join()
