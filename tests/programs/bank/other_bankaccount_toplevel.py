"""A BankAccount with its own signature (an owner, deposits naming who pays) next to
top-level threads: not the assignment's contract, but a correct program."""
import threading


class BankAccount:
    def __init__(self, owner, opening):
        self.owner = owner
        self.funds = opening
        self.mutex = threading.Lock()

    def deposit(self, amount, who):
        self.mutex.acquire()
        try:
            self.funds = self.funds + amount
        finally:
            self.mutex.release()


acct = BankAccount("ana", 50)
payers = [threading.Thread(target=acct.deposit, args=(10, f"payer{i}")) for i in range(8)]
for p in payers:
    p.start()
for p in payers:
    p.join()
print("funds:", acct.funds)
