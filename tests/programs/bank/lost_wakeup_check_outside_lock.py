import threading

cond = threading.Condition()
balance = 0


def depositor():
    global balance
    with cond:
        balance += 100
        cond.notify_all()


def withdrawer():
    global balance
    if balance < 60:
        with cond:
            cond.wait()
    with cond:
        balance -= 60
    print("withdrew 60, balance", balance)


w = threading.Thread(target=withdrawer)
d = threading.Thread(target=depositor)
w.start()
d.start()
w.join()
d.join()
print("final balance", balance)
