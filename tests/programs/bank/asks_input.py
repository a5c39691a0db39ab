"""An interactive bank: asks how many customers before it starts any thread."""
import threading

balance = 0
lock = threading.Lock()


def deposit():
    global balance
    with lock:
        balance += 1


count = int(input("How many customers? "))
threads = [threading.Thread(target=deposit) for _ in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("balance", balance)
