"""The scheduled flows as Prefect deployments, with the job table's schedules (dondoc/app/scheduling.py):
served from one process (`dondoc serve --engine prefect`) or registered on a Prefect server into a work
pool for workers (`dondoc deploy`). Call `prepare_prefect(settings)` first."""
import contextlib
import io
import os
from pathlib import Path

from dondoc.app.scheduling import JobSpec

from flows import entrypoint, flow_for

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Never copied into a deployment (they would be stored on the Prefect server): set them on the workers.
SECRET_SETTINGS = {"DONDOC_SMTP_PASSWORD", "DONDOC_SECRET_KEY", "DONDOC_IMAP_PASSWORD"}


def runs_environment(settings, environ: dict | None = None) -> dict[str, str]:
    """What a deployment's runs get as environment: the DONDOC_* settings of this one, secrets left out,
    and the data folder and database this command uses, spelled out absolutely. So one worker pool can
    serve several provinces, each deployment set with its own database."""
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in sorted(environ.items()) if k.startswith("DONDOC_") and k not in SECRET_SETTINGS}
    data_dir = settings.data_dir.resolve()
    env["DONDOC_DATA_DIR"] = str(data_dir)
    env["DONDOC_DATABASE_URL"] = settings.database_url or f"sqlite:///{(data_dir / 'dondoc.db').as_posix()}"
    return env


def to_deployments(specs: list[JobSpec], name: str) -> list:
    """Deployments of the scheduled flows (dondoc.app.jobs.scheduled_jobs) for `prefect.serve` (runs in
    the serving process)."""
    return [flow_for(spec.id).to_deployment(name=name, schedules=spec.prefect_schedules(),
                                            description=spec.title, tags=["dondoc"])
            for spec in specs]


def ensure_work_pool(pool: str) -> bool:
    """The work pool, created as a "process" pool if missing. True if it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
            return False
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            return True


def deploy(specs: list[JobSpec], *, name: str, pool: str, environment: dict[str, str]) -> list[tuple[str, str]]:
    """Register every scheduled flow on the Prefect server as `<flow>/<name>` in `pool`, its code
    taken from this project folder (a local path: workers need the project at the same path).
    Returns (deployment, schedule in words)."""
    from prefect import Flow

    made = []
    quiet = io.StringIO()  # Prefect prints a table per deployment; the command prints one summary
    for spec in specs:
        source = Flow.from_source(source=str(PROJECT_DIR), entrypoint=entrypoint(spec.id))
        with contextlib.redirect_stdout(quiet):
            source.deploy(name=name, work_pool_name=pool, schedules=spec.prefect_schedules(), build=False,
                          push=False, job_variables={"env": environment}, description=spec.title, tags=["dondoc"],
                          print_next_steps=False, ignore_warnings=True)
        made.append((f"{spec.id}/{name}", spec.schedule))
    return made
