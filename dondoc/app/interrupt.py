"""Ctrl-C on the command line: stop soon, in a consistent state.

A plain command is stopped by Python's KeyboardInterrupt: its transaction is rolled back, what it
committed before stays, and `dondoc` exits 130. Work that runs many steps through a flow (a
simulation, a delivery) runs `cooperative()`: Ctrl-C then only asks it to stop, and it stops at its
next safe point (between two simulated days, between two messages: each step is committed whole,
claimed messages are given back to the queue), returns what it did, and the command says so and exits 130.
"""
import signal
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
