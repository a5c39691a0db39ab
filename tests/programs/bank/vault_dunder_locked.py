"""A vault whose attribute is read and written through the access methods, under a lock."""
import threading


class Vault:
    def __init__(self):
        self.cash = 0
        self.guard = threading.Lock()

    def put(self, amount):
        with self.guard:
            current = self.__getattribute__("cash")
            object.__setattr__(self, "cash", current + amount)


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
