"""The type of each probe's data (`@probe(name, data=...)`): the fields its observation always
carries, checked once when the result arrives in the grader (grader.probes.probing.arrived), so a judge
reads fields that are there. A field typed `Any` is checked for presence only; the rest is the
judge's to read (its values are the child's word, cleaned by grader.sandbox.untrusted)."""
from typing import Any, TypedDict


class Problems(TypedDict):
    """bank.api, downloader.api: what the contract's names lack."""

    problems: list


class History(TypedDict):
    """bank.basic, bank.validation: one outcome per planned step."""

    history: list


class Histories(TypedDict):
    """bank.model: one history per planned sequence."""

    histories: list


class Schedules(TypedDict):
    """Every probe that explores seeded schedules (grader.probes.preempt.engine.explore): one record
    per schedule run, the last the one that showed a problem, if any did."""

    runs: list


class DownloaderSchedules(TypedDict):
    """downloader.script_races, downloader.races: the schedules, and the functions handed to
    threads that read a loop variable late (grader.probes.late_binding; scripts only)."""

    runs: list
    late_reads: list


class NoTransfer(TypedDict):
    """bank.transfer_atomic, bank.transfer_no_deadlock without a transfer (a bonus): why."""

    missing: str


class TransferSchedules(Schedules):
    """bank.transfer_atomic: the schedules, and how a transfer beyond the balance was refused."""

    refusal: Any


class Independent(TypedDict):
    """bank.independent_accounts: three accounts' closing balances."""

    a: Any
    b: Any
    c: Any


class BankScript(TypedDict):
    """bank.script: the one-at-a-time run, the scheduled runs, the names they share."""

    serial: dict
    runs: list
    shared: list
    serial_ends: list


class OwnClass(TypedDict):
    """bank.own_class: per class of the program's own, how it was made and what each of its
    withdraw-like methods did with twice the balance (grader/checks/bank/own_class.py)."""

    classes: list


class Simulate(TypedDict):
    """bank.simulate: what simulate returned and what its customers did at the gate."""

    returned: Any
    threads: int
    max_waiting: Any
    gate: Any
    by_caller: Any
    done_at_return: Any
    done: Any
    still_running: int
    final: Any


class Download(TypedDict):
    """downloader.gated, downloader.order: the scenario served and everything the call did."""

    urls: list
    max_workers: Any
    timeout: Any
    routes: dict
    call: dict
    server: dict
    lines: list
    thread_errors: list
    network: list
    at_import: dict  # what the module's top level requested at import (downloader.at_import)


class Script(TypedDict):
    """downloader.script, downloader.script_failing: a downloader run as a program."""

    finished: Any
    error: Any
    ended_at: Any
    main_ended_at: Any
    never_end: list
    main_hung: bool  # the main thread waits for good, as every thread of the script does
    in_flight_at_end: Any
    deadline: Any
    own_urls: list
    routes: dict
    server: dict
    lines: list
    thread_errors: list
    network: list
    clients: Any


class PytestFile(TypedDict):
    """pytest.file: each test's outcome."""

    outcomes: Any
