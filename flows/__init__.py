"""Prefect flows. Each module is named after its flow and only wires plain functions
(dondoc/app/jobs.py) together. Call `prepare_prefect(settings)` before importing a flow module."""
import os

from config.settings import Settings


def prepare_prefect(settings: Settings) -> None:
    """Keep Prefect local, offline and quiet unless the operator configured a server.

    Without PREFECT_API_URL a flow runs on a temporary local server under our data folder
    (flows/temporary_server.py).
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
