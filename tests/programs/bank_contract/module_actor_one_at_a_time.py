import queue
import threading

_requests = queue.Queue()
_balances = {}


def _teller():
    """The only thread that touches the balances: every operation is a message."""
    while True:
        op, key, amount, reply = _requests.get()
        if op == "open":
            _balances[key] = amount
            reply.put(None)
        elif op == "deposit":
            _balances[key] += amount
            reply.put(None)
        elif op == "withdraw":
            ok = amount <= _balances[key]
            if ok:
                _balances[key] -= amount
            reply.put(ok)
        else:
            reply.put(_balances[key])


threading.Thread(target=_teller, daemon=True, name="teller").start()


def _ask(op, key, amount=0):
    reply = queue.Queue(maxsize=1)
    _requests.put((op, key, amount, reply))
    return reply.get()


class BankAccount:
    def __init__(self, balance=0):
        self._key = object()
        _ask("open", self._key, balance)

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        _ask("deposit", self._key, amount)

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        return _ask("withdraw", self._key, amount)

    @property
    def balance(self):
        return _ask("balance", self._key)


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)
    for _ in range(customers):
        t = threading.Thread(target=customer)
        t.start()
        t.join()  # one customer at a time: never concurrent
    return account.balance
