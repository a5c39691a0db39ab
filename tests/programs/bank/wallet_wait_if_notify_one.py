import threading


class Wallet:
    def __init__(self):
        self.funds = 0
        self.changed = threading.Condition()

    def put(self, amount):
        with self.changed:
            self.funds += amount
            self.changed.notify()

    def take(self, amount):
        with self.changed:
            if self.funds < amount:
                self.changed.wait()
            self.funds -= amount
            print("took", amount, "funds now", self.funds)


wallet = Wallet()
buyer = threading.Thread(target=wallet.take, args=(30,))
buyer.start()
earner = threading.Thread(target=wallet.put, args=(50,))
earner.start()
buyer.join()
earner.join()
print("funds at the end", wallet.funds)
