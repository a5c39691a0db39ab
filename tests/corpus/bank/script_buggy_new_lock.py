# corpus: buggy
# style: program
# bug: script-new-lock-per-call
# must_fail: script_consistent
# may_fail: script_uses_lock
import threading

balance = 0


def deposit(n):
    global balance
    for _ in range(n):
        with threading.Lock():   # lock the update
            balance += 1


threads = [threading.Thread(target=deposit, args=(1000,)) for _ in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print("Final balance:", balance)
