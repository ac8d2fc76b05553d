"""Ctrl-C on the command line: stop soon, in a consistent state.

A plain command is stopped by Python's KeyboardInterrupt: its transaction is rolled back, what it
committed before stays, and `dondoc` exits 130. Work that runs many steps through a flow (a
simulation, a delivery) runs `cooperative()`: Ctrl-C then only asks it to stop, and it stops at its
next safe point (between two simulated days, between two messages: each step is committed whole,
claimed messages are given back to the queue), returns what it did, and the command says so and exits 130
at once (exit_now): what is left of the process's ending (Prefect draining its log and event queues, the
collection of a heap that Prefect and SQLAlchemy made large) took seconds and does nothing for the data.
"""
import os
import signal
import sys
import threading
from contextlib import contextmanager

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells expect of a program stopped by Ctrl-C

_stop = threading.Event()


def requested() -> bool:
    """Ctrl-C was pressed during the current cooperative() block."""
    return _stop.is_set()


@contextmanager
def cooperative():
    """Within this block, SIGINT sets the stop flag (checked by the work's loops) instead of raising."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; a caller elsewhere keeps Python's default
        return
    _stop.clear()
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: _stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def exit_now(code: int = EXIT_INTERRUPTED):
    """End the process now, after Ctrl-C stopped a flow's work and the command has said what was done.

    Everything that matters is settled by then: each step committed whole, the claims given back, the
    engine disposed, the report printed. What a normal exit would still do takes seconds (measured by
    bench/cli.py): Prefect's services drain their queues to the API (the flow run's final state is
    already recorded; only its last log lines and events could be lost), then Python frees every
    object one by one. Our temporary Prefect server is told to stop (it also ends with this process)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    server = sys.modules.get("flows.temporary_server")
    if server is not None:
        server.stop_now()
    os._exit(code)
