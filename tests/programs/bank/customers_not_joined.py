import threading
import time

lock = threading.Lock()
balance = 0


def customer(name, times):
    global balance
    for _ in range(times):
        time.sleep(0.01)
        with lock:
            balance += 10
            now = balance
    print(f"{name} done, balance now {now}")


for i in range(3):
    threading.Thread(target=customer, args=(f"customer-{i}", 5)).start()
print("all customers started")
