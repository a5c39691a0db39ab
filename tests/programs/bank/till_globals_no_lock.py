"""Twin of till_globals_locked.py with its bug: the globals are updated with no lock."""
import threading

till = 0
sales = 0
last = None


def cashier(price):
    global till, sales, last
    for _ in range(300):
        till, sales = till + price, sales + 1
        last = latest = till


cashiers = [threading.Thread(target=cashier, args=(p,)) for p in (2, 3, 5)]
for c in cashiers:
    c.start()
for c in cashiers:
    c.join()
print("sales", sales, "till", till)
