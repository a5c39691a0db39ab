# corpus: buggy
# style: program
# bug: script-no-lock
# must_fail: script_consistent, script_uses_lock
# may_fail:
import threading

balance = 0


def deposit(n):
    global balance
    for i in range(n):
        balance += 1


threads = []
for i in range(5):
    t = threading.Thread(target=deposit, args=(1000,))
    threads.append(t)
    t.start()

for t in threads:
    t.join()

print("Final balance:", balance)
