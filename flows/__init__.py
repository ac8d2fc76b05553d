"""Prefect flows. Each module is named after its flow and only wires plain functions
(dondoc/app/) together. `FLOWS` is the one table from a job's name to its flow. Call
`prepare_prefect(settings)` before importing a flow module (`flow_for` imports one)."""
import importlib
import os

from config.settings import Settings

# Every flow by its name, the id of its job in the job table (dondoc/app/scheduling.py) or `simulate`:
# where it is, as "module:function". `dondoc remind|review|inbox|simulate` run them (dondoc/cli/remind.py
# run_flow); `dondoc serve --engine prefect` and `dondoc deploy` deploy the scheduled ones (flows/deployments.py).
FLOWS = {
    "send-reminders": "flows.send_reminders:send_reminders",
    "review-open": "flows.annual_review:review_open",
    "review-chase": "flows.annual_review:review_chase",
    "review-compile": "flows.annual_review:review_compile",
    "read-inbox": "flows.read_inbox:read_inbox",
    "simulate": "flows.simulate:simulate",
}


def flow_for(name: str):
    """The flow called `name`, its module imported now (after `prepare_prefect`)."""
    module, function = FLOWS[name].split(":")
    return getattr(importlib.import_module(module), function)


def entrypoint(name: str) -> str:
    """The flow as a Prefect entrypoint: its file's path in the project folder, and the function."""
    module, function = FLOWS[name].split(":")
    return f"{module.replace('.', '/')}.py:{function}"


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
