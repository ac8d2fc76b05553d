"""Work a request must not wait for: the sign-in link email.

A request for a sign-in link hands the address to the courier and answers at once, so the answer
(its page and its time) is the same whether the address is a focal point's or not, and whether the
mail server is up or down. The courier, one thread per web app, looks the address up and, for a
focal point, issues the link and sends it through the outbox at once; a temporary failure stays
queued and the service's delivery (DONDOC_DELIVERY_EVERY_MINUTES) sends it when the server is back.
"""
import logging
import queue
import threading
from typing import Callable

log = logging.getLogger("dondoc.web.courier")


class Courier:
    """A bounded queue of jobs run in order on one thread (started on the first job)."""

    def __init__(self, capacity: int = 1000):
        self._jobs: queue.Queue = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> bool:
        """Queue `job`; False when the queue is full (the job is dropped: the person asks again)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dondoc-courier", daemon=True)
                self._thread.start()
        try:
            self._jobs.put_nowait(job)
            return True
        except queue.Full:
            log.warning("the courier's queue is full: a sign-in email was not queued")
            return False

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                job()
            except Exception:  # one failed job must not stop the others
                log.exception("a courier job failed")
            finally:
                self._jobs.task_done()

    def drain(self) -> None:
        """Wait until every job queued so far has run (tests; shutting down)."""
        self._jobs.join()

    def close(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._jobs.put(None)
                self._thread.join(timeout=30)
            self._thread = None
