"""An account keeping its balance and its lock in private attributes (`self.__saldo`), which
Python renames to `_Cuenta__saldo` inside the class."""
import threading


class Cuenta:
    def __init__(self, saldo=0):
        self.__saldo = saldo
        self.__candado = threading.Lock()

    def depositar(self, cantidad):
        with self.__candado:
            self.__saldo += cantidad

    def retirar(self, cantidad):
        with self.__candado:
            if cantidad > self.__saldo:
                return False
            self.__saldo -= cantidad
            return True

    @property
    def saldo(self):
        return self.__saldo


def cliente(cuenta, veces):
    for _ in range(veces):
        cuenta.depositar(10)
        cuenta.retirar(5)


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
