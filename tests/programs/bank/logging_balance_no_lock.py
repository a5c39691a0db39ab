"""A bank that reports through logging (stderr), with no lock around the update."""
import logging
import threading

logging.basicConfig(level=logging.INFO, format="%(threadName)s: %(message)s")
log = logging.getLogger("bank")


class Till:
    def __init__(self):
        self.money = 0

    def pay_in(self, amount):
        if True:
            self.money += amount
            log.debug("paid in %d", amount)


def clerk(till):
    for _ in range(200):
        till.pay_in(3)
    log.info("clerk done")


till = Till()
clerks = [threading.Thread(target=clerk, args=(till,)) for _ in range(4)]
for c in clerks:
    c.start()
for c in clerks:
    c.join()
log.info("final balance %d", till.money)
