"""The plain twin of the vault programs: an attribute updated with no lock."""
import threading


class Vault:
    def __init__(self):
        self.cash = 0

    def put(self, amount):
        current = self.cash
        self.cash = current + amount


vault = Vault()


def teller(deposits):
    for _ in range(deposits):
        vault.put(5)


tellers = [threading.Thread(target=teller, args=(300,)) for _ in range(3)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("vault holds", vault.cash)
