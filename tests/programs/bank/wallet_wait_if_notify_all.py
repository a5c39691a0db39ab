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
                self.changed.wait()
            self.funds -= amount
            print("took", amount, "funds now", self.funds)


def buyer(wallet):
    wallet.take(30)


def earner(wallet):
    for _ in range(3):
        wallet.put(30)


wallet = Wallet()
buyers = [threading.Thread(target=buyer, args=(wallet,)) for _ in range(3)]
for b in buyers:
    b.start()
pay = threading.Thread(target=earner, args=(wallet,))
pay.start()
for t in buyers + [pay]:
    t.join()
print("funds at the end", wallet.funds)
