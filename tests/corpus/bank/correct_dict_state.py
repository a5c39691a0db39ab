# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
import threading


class BankAccount:
    # I keep the account data in a dict so it is easy to add more fields
    # later (owner, history, ...)
    def __init__(self, balance=0):
        self.state = {"balance": balance, "history": []}
        self.lock = threading.Lock()

    @property
    def balance(self):
        return self.state["balance"]

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("bad amount")
        with self.lock:
            self.state["balance"] += amount
            self.state["history"].append(("deposit", amount))

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("bad amount")
        with self.lock:
            if self.state["balance"] - amount < 0:
                self.state["history"].append(("refused", amount))
                return False
            self.state["balance"] -= amount
            self.state["history"].append(("withdraw", amount))
            return True


def simulate(account, customers, deposits_each, amount):
    def work():
        for _ in range(deposits_each):
            account.deposit(amount)

    ts = []
    for _ in range(customers):
        ts.append(threading.Thread(target=work))
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return account.balance
