import threading

cond = threading.Condition()
balance = 0


def depositor():
    global balance
    with cond:
        balance += 100
        cond.notify()


def withdrawer():
    global balance
    with cond:
        cond.wait_for(lambda: balance >= 60)
        balance -= 60
    print("withdrew 60, balance", balance)


w = threading.Thread(target=withdrawer)
d = threading.Thread(target=depositor)
w.start()
d.start()
w.join()
d.join()
print("final balance", balance)
