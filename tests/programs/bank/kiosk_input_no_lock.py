"""Two kiosks share one account; each asks for an amount, then updates it with no lock."""
import threading

account = {"balance": 500}


def kiosk(sign):
    amount = int(input("amount: "))
    seen = account["balance"]
    account["balance"] = seen + sign * amount
    print("balance now", account["balance"])


if __name__ == "__main__":
    kiosks = [threading.Thread(target=kiosk, args=(1,)), threading.Thread(target=kiosk, args=(-1,))]
    for k in kiosks:
        k.start()
    for k in kiosks:
        k.join()
    print("kiosks closed, balance", account["balance"])
