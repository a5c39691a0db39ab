import _thread
import time

balance = 0
finished = 0
lock = _thread.allocate_lock()

def customer(n):
    global balance, finished
    for _ in range(n):
        current = balance
        balance = current + 10
    with lock:
        finished += 1

for i in range(4):
    _thread.start_new_thread(customer, (50,))

while finished < 4:
    time.sleep(0.01)
print("balance", balance)
