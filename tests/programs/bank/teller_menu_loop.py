"""Tellers take amounts from the keyboard until someone types 0."""
import threading

balance = 0
counter_lock = threading.Lock()


def teller(name):
    global balance
    while True:
        with counter_lock:
            amount = int(input(f"{name}, amount (0 to close): "))
            if amount == 0:
                print(name, "closed")
                return
            balance += amount
            print(name, "took", amount, "balance", balance)


tellers = [threading.Thread(target=teller, args=(f"teller{i}",)) for i in (1, 2)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("day closed with", balance)
