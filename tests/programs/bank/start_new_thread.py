import _thread
import threading
import time

balance = 0
lock = _thread.allocate_lock()
finished = 0

def customer(n):
    global balance, finished
    for _ in range(n):
        with lock:
            balance += 10
    with lock:
        finished += 1

for i in range(4):
    _thread.start_new_thread(customer, (50,))

while True:
    with lock:
        if finished == 4:
            break
    time.sleep(0.01)
print("balance", balance)
