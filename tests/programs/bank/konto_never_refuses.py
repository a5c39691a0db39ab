"""A German-named account whose funds check can never be true for a positive amount: the
program's own run only ever asks for less than there is, so only a direct try shows it."""
import threading

sperre = threading.Lock()


class Konto:
    def __init__(self):
        self.kontostand = 500

    def abheben(self, betrag):
        with sperre:
            if self.kontostand - betrag > self.kontostand:
                print("Kontostand nicht ausreichend")
            else:
                self.kontostand -= betrag
                print("neuer Kontostand", self.kontostand)

    def einzahlen(self, betrag):
        with sperre:
            self.kontostand += betrag
            print("neuer Kontostand", self.kontostand)


konto = Konto()
kunden = []
for nummer in range(6):
    ziel = konto.abheben if nummer % 2 else konto.einzahlen
    kunden.append(threading.Thread(target=ziel, args=(40,)))
for kunde in kunden:
    kunde.start()
for kunde in kunden:
    kunde.join()
print("Endstand", konto.kontostand)
