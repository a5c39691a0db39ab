# corpus: correct
# style: program
# bug: none
# must_fail:
# may_fail:
# Bank simulation: 3 depositors and 3 withdrawers share one balance.
# The starting balance is big enough that no withdrawal is ever refused,
# so the final balance is always the same.
import threading

balance = 10000
balance_lock = threading.Lock()


def depositor(times, amount):
    global balance
    for _ in range(times):
        balance_lock.acquire()
        try:
            balance = balance + amount
        finally:
            balance_lock.release()


def withdrawer(times, amount):
    global balance
    for _ in range(times):
        balance_lock.acquire()
        if balance >= amount:
            balance = balance - amount
        balance_lock.release()


workers = []
for _ in range(3):
    workers.append(threading.Thread(target=depositor, args=(500, 2)))
    workers.append(threading.Thread(target=withdrawer, args=(500, 3)))

print("Starting balance:", balance)
for w in workers:
    w.start()
for w in workers:
    w.join()
print("Final balance:", balance)   # 10000 + 3000 - 4500 = 8500
