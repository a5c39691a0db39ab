# corpus: buggy
# style: program
# bug: script-no-join
# must_fail: script_consistent
# may_fail: script_threads
import threading

balance = 0
lock = threading.Lock()


def deposit(n):
    global balance
    for _ in range(n):
        with lock:
            balance += 1


for i in range(5):
    threading.Thread(target=deposit, args=(1000,)).start()

print("Final balance:", balance)
