"""The comparison the wrong way round: a withdrawal the balance covers is refused, one larger
than the balance goes through. The program's own customers take more than a wallet holds, so
its run shows only refusals and a steady balance."""
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
            if amount < self.funds:
                print("refused: not enough funds")
                return False
            self.funds -= amount
            return True


def shopper(wallet):
    for _ in range(5):
        wallet.top_up(20)
        wallet.withdraw(5)


def main():
    wallet = Wallet(100)
    shoppers = [threading.Thread(target=shopper, args=(wallet,)) for _ in range(3)]
    for s in shoppers:
        s.start()
    for s in shoppers:
        s.join()
    print("funds left:", wallet.funds)


if __name__ == "__main__":
    main()
