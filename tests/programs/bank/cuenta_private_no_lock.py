"""Twin of cuenta_private_locked.py with its bug: the private balance is updated without a lock."""
import threading


class Cuenta:
    def __init__(self, saldo=0):
        self.__saldo = saldo

    def depositar(self, cantidad):
        actual = self.__saldo
        self.__saldo = actual + cantidad

    @property
    def saldo(self):
        return self.__saldo


def cliente(cuenta, veces):
    for _ in range(veces):
        cuenta.depositar(10)


def main():
    cuenta = Cuenta(100)
    hilos = [threading.Thread(target=cliente, args=(cuenta, 200)) for _ in range(4)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join()
    print("Saldo final:", cuenta.saldo)


if __name__ == "__main__":
    main()
