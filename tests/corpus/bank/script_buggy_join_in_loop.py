# corpus: buggy
# style: program
# bug: script-join-in-loop
# must_fail: script_threads
# may_fail:
import threading

balance = 0
lock = threading.Lock()


def deposit(n):
    global balance
    for _ in range(n):
        with lock:
            balance += 1


for i in range(5):
    t = threading.Thread(target=deposit, args=(1000,))
    t.start()
    t.join()   # wait for it to finish

print("Final balance:", balance)
