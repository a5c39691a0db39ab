"""Customers as Thread subclasses depositing into one shared wallet."""
import threading

wallet_lock = threading.RLock()


class Wallet:
    total = 0


class Customer(threading.Thread):
    def __init__(self, wallet, times):
        super().__init__(name=f"customer-{times}")
        self.wallet = wallet
        self.times = times

    def run(self):
        for _ in range(self.times):
            with wallet_lock:
                current = self.wallet.total
                self.wallet.total = current + 1


wallet = Wallet()
crowd = [Customer(wallet, 30) for _ in range(5)]
for person in crowd:
    person.start()
for person in crowd:
    person.join()
print(f"wallet holds {wallet.total}")
