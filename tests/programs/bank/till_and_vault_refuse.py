"""Two accounts of its own, refusing each its own way: the till answers with a string and keeps
its cash in a name-mangled attribute behind a property, the vault raises and waits on no lock
(one RLock for both)."""
import threading

LOCK = threading.RLock()


class InsufficientFunds(Exception):
    pass


class Till:
    def __init__(self, cash=0):
        self.__cash = cash

    @property
    def cash(self):
        return self.__cash

    def take_in(self, amount):
        with LOCK:
            self.__cash += amount
            return "ok"

    def pay_out(self, amount):
        with LOCK:
            cash = self.__cash
            if cash >= amount:
                self.__cash = cash - amount
                return "ok"
            return "insufficient funds"


class Vault:
    def __init__(self, gold=250):
        self.gold = gold

    def store(self, amount):
        with LOCK:
            self.gold += amount

    def release(self, amount):
        with LOCK:
            if self.gold < amount:
                raise InsufficientFunds(f"only {self.gold} in the vault")
            self.gold -= amount


def clerk(till, vault):
    for _ in range(10):
        till.take_in(7)
        print(till.pay_out(30))
        try:
            vault.release(40)
        except InsufficientFunds as exc:
            print("vault:", exc)
        vault.store(5)


if __name__ == "__main__":
    till, vault = Till(50), Vault()
    clerks = [threading.Thread(target=clerk, args=(till, vault)) for _ in range(3)]
    for c in clerks:
        c.start()
    for c in clerks:
        c.join()
    print("till", till.cash, "vault", vault.gold)
