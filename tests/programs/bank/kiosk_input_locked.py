"""Two kiosks share one account; each asks its customer for an amount while holding the lock."""
import threading

account = {"balance": 500}
door = threading.Lock()


def kiosk(sign):
    door.acquire()
    amount = int(input("amount: "))
    account["balance"] = account["balance"] + sign * amount
    print("balance now", account["balance"])
    door.release()


if __name__ == "__main__":
    kiosks = [threading.Thread(target=kiosk, args=(1,)), threading.Thread(target=kiosk, args=(-1,))]
    for k in kiosks:
        k.start()
    for k in kiosks:
        k.join()
    print("kiosks closed, balance", account["balance"])
