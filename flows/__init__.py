"""Prefect flows. Each module is named after its flow and only wires plain functions
(dondoc/jobs.py) together. Call `prepare_prefect(settings)` before importing a flow module."""
import os
import threading
from typing import Callable

from config.settings import Settings


def prepare_prefect(settings: Settings) -> None:
    """Keep Prefect local, offline and quiet unless the operator configured a server.

    Without PREFECT_API_URL a flow starts a temporary local server under our data folder.
    """
    defaults = {
        "PREFECT_HOME": str((settings.data_dir / "prefect").resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        # We use no blocks: registering Prefect's block types was a second of its first start.
        "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # The ephemeral server keeps its SQLite database there: the folder must exist.
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)


def start_temporary_server() -> Callable[[], None]:
    """Start Prefect's temporary server now, in a thread; returns the wait for it to be up.

    Without a configured server the first flow call starts one (a subprocess) and waits for it:
    about 5 s, 10 s the first time (it creates its database). Started here, that wait overlaps
    with importing the flow and the rest of the command's own start. Call the returned function
    before the first flow: that call would otherwise find the server "running" but not yet up."""
    def start() -> None:
        try:
            from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED
            if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
                return  # a real server, or none allowed: the flow call deals with it
            from prefect.server.api.server import SubprocessASGIServer
            SubprocessASGIServer().start()
        except Exception:  # noqa: BLE001 - the flow call starts it again and reports what failed
            pass

    thread = threading.Thread(target=start, name="prefect-temporary-server", daemon=True)
    thread.start()
    return thread.join
