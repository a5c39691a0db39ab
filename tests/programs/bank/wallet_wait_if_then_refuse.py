import threading


class Wallet:
    def __init__(self):
        self.funds = 0
        self.changed = threading.Condition()

    def put(self, amount):
        with self.changed:
            self.funds += amount
            self.changed.notify_all()

    def take(self, amount):
        with self.changed:
            if self.funds < amount:
                self.changed.wait(timeout=2)
            if self.funds < amount:
                print("refused", amount)
                return False
            self.funds -= amount
            print("took", amount, "funds now", self.funds)
            return True


def buyer(wallet):
    wallet.take(30)


wallet = Wallet()
buyers = [threading.Thread(target=buyer, args=(wallet,)) for _ in range(3)]
for b in buyers:
    b.start()
wallet.put(60)
for b in buyers:
    b.join()
print("funds at the end", wallet.funds)
