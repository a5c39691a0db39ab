"""An English twin of konto_never_refuses.py: the check compares the balance with itself minus
the amount, so `withdraw` returns False for nothing and the balance goes below zero."""
import threading


class Wallet:
    def __init__(self, funds=0):
        self.funds = funds
        self.guard = threading.Lock()

    def top_up(self, amount):
        with self.guard:
            self.funds += amount

    def withdraw(self, amount):
        with self.guard:
            if self.funds < self.funds - amount:
                return False
            self.funds -= amount
            return True


def shopper(wallet):
    for _ in range(5):
        wallet.top_up(20)
        wallet.withdraw(10)


def main():
    wallet = Wallet()
    shoppers = [threading.Thread(target=shopper, args=(wallet,)) for _ in range(3)]
    for s in shoppers:
        s.start()
    for s in shoppers:
        s.join()
    print("funds left:", wallet.funds)


if __name__ == "__main__":
    main()
