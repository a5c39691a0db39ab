"""A locked bank that reports statistics with a third-party module the grader does not have."""
import threading

import tellerstats_not_installed as stats

balance = 0
lock = threading.Lock()
amounts = []


def customer(amount):
    global balance
    with lock:
        balance += amount
        amounts.append(amount)


threads = [threading.Thread(target=customer, args=(a,)) for a in (5, 10, 15)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("balance", balance, "mean deposit", stats.mean(amounts))
