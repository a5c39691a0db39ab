# corpus: correct
# style: program
# bug: none
# must_fail:
# may_fail:
import threading

balance = 0
lock = threading.Lock()


def deposit(n):
    global balance
    for i in range(n):
        with lock:
            balance += 1


threads = []
for i in range(5):
    t = threading.Thread(target=deposit, args=(1000,))
    threads.append(t)
    t.start()

for t in threads:
    t.join()

print("Final balance:", balance)
