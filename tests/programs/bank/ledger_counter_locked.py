"""A branch ledger kept in a Counter; tellers post deposits with update(...) under one lock."""
import threading
from collections import Counter

ledger = Counter(vault=0)
posting = threading.Lock()


def teller(deposits):
    for _ in range(deposits):
        with posting:
            ledger.update(vault=5)


tellers = [threading.Thread(target=teller, args=(300,)) for _ in range(3)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("vault holds", ledger["vault"])
