"""Tellers that report every deposit, and a closing balance printed before they are joined."""
import threading

balance = 0
lock = threading.Lock()


def teller(name):
    global balance
    for _ in range(300):
        with lock:
            balance += 1
            print(f"{name} took a deposit of 1; the balance is now {balance}")


tellers = [threading.Thread(target=teller, args=(f"teller-{i}",)) for i in range(4)]
for t in tellers:
    t.start()
print("closing balance", balance)
for t in tellers:
    t.join()
