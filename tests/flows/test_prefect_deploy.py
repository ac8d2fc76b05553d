"""At scale: a real Prefect server (`prefect server start` on a free loopback port, a temporary
PREFECT_HOME, analytics off), `dondoc deploy` into a work pool, a run triggered and executed by a real
process worker against the test database, the digests delivered to a real SMTP server (aiosmtpd)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from config.policy import read_policy
from dondoc.app.context import AppContext
from dondoc.app.scheduling import job_table
from models.outbox import Message, MessageStatus
from tests.conftest import CONFIG_DIR
from tests.review_support import free_port

BIN = Path(sys.executable).parent
LAN = "lan.nt@skhdt.example.org"


def prefect_env(tmp_path, api_url: str) -> dict:
    """A clean environment for Prefect processes: no DONDOC_* (the deployment must carry them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONDOC_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_API_URL=api_url, DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONUNBUFFERED="1")
    return env


def wait_healthy(api_url: str, server, log: Path, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"prefect server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"prefect server not healthy after {seconds} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """A real Prefect server on a free loopback port, its home in a temporary folder; stopped by PID."""
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("prefect")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(folder, api_url)
    log = folder / "prefect-server.log"
    with open(log, "w") as out:
        server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                   "--analytics-off"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_healthy(api_url, server, log)
        print(f"\nprefect server healthy after {time.monotonic() - started:.1f} s")
        yield api_url, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def project_env(env: dict, settings, smtp_port: int, **extra) -> dict:
    return dict(env, DONDOC_DATA_DIR=str(settings.data_dir), DONDOC_DATABASE_URL=settings.resolved_database_url,
                DONDOC_SMTP_HOST="127.0.0.1", DONDOC_SMTP_PORT=str(smtp_port), DONDOC_TODAY="2016-01-15", **extra)


def sent_statuses(settings) -> list:
    context = AppContext(settings)
    try:
        with Session(context.engine) as session:
            return [m.status for m in session.exec(select(Message))]
    finally:
        context.close()


def create_flow_run(api: httpx.Client, deployment_id: str, parameters: dict) -> dict:
    """A run of the deployment. Prefect's own client retries a busy server (its SQLite locked by the
    serving process, say); so does this."""
    for _ in range(10):
        created = api.post(f"/deployments/{deployment_id}/create_flow_run", json={"parameters": parameters})
        if created.status_code not in (409, 429, 500, 503):
            break
        time.sleep(1)
    assert created.status_code == 201, created.text
    return created.json()


@pytest.mark.slow
def test_one_table_names_every_flow_by_its_own_name_and_every_scheduled_job_has_its_flow(settings, monkeypatch):
    from flows import FLOWS, entrypoint, flow_for, prepare_prefect
    from flows.deployments import PROJECT_DIR

    monkeypatch.setenv("PREFECT_HOME", str(settings.data_dir / "prefect"))
    prepare_prefect(settings)
    for name in FLOWS:
        assert flow_for(name).name == name
        path, function = entrypoint(name).split(":")
        assert (PROJECT_DIR / path).is_file() and function in (PROJECT_DIR / path).read_text(encoding="utf-8")
    scheduled = {spec.id for spec in job_table(read_policy(CONFIG_DIR / "policy.yaml"), inbox_every_minutes=15)}
    assert scheduled == set(FLOWS) - {"simulate"}


def test_deployed_flows_run_on_a_worker_against_the_project_database_and_mail_arrives(loaded, settings, prefect_server,
                                                                                       smtp):
    started = time.monotonic()
    api_url, env = prefect_server
    box, smtp_port = smtp
    deployed = subprocess.run([str(BIN / "dondoc"), "deploy", "--pool", "province-pool", "--name", "bac-kan"],
                              env=project_env(env, settings, smtp_port, DONDOC_SMTP_PASSWORD="not-for-the-server"),
                              capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "Work pool province-pool (created, type process)" in deployed.stdout
    assert "send-reminders/bac-kan: hằng ngày lúc 08:00" in deployed.stdout

    api = httpx.Client(base_url=api_url, timeout=30)
    pool = api.get("/work_pools/province-pool").json()
    assert pool["type"] == "process"
    for spec in job_table(read_policy(CONFIG_DIR / "policy.yaml")):  # the same schedules as `dondoc serve`
        deployment = api.get(f"/deployments/name/{spec.id}/bac-kan").json()
        assert sorted((s["schedule"]["cron"], s["schedule"]["timezone"]) for s in deployment["schedules"]) == \
            sorted((expr, "Asia/Ho_Chi_Minh") for expr in spec.crons)
        assert deployment["work_pool_name"] == "province-pool"
    reminders = api.get("/deployments/name/send-reminders/bac-kan").json()
    run_env = reminders["job_variables"]["env"]
    assert run_env["DONDOC_DATABASE_URL"] == settings.resolved_database_url
    assert "DONDOC_SMTP_PASSWORD" not in run_env, "secrets stay off the Prefect server"

    # Trigger a run now, with no parameters: the flow takes "today" from the clock (DONDOC_TODAY).
    run = create_flow_run(api, reminders["id"], {})
    worker = subprocess.run([str(BIN / "prefect"), "worker", "start", "--pool", "province-pool", "--run-once"],
                            env=env, capture_output=True, text=True, timeout=180)
    state = api.get(f"/flow_runs/{run['id']}").json()["state"]
    assert state["type"] == "COMPLETED", worker.stdout[-3000:] + worker.stderr[-3000:]

    [digest] = box.to(LAN)
    assert "15/01/2016" in digest.subject and "3.1.1-b" in digest.text
    statuses = sent_statuses(settings)
    assert len(statuses) == len(box.messages) > 0 and set(statuses) == {MessageStatus.SENT}
    print(f"\ndeploy, run on a worker: {time.monotonic() - started:.1f} s")


@pytest.mark.slow
def test_serve_with_the_prefect_engine_serves_the_deployments_from_one_process(loaded, settings, prefect_server, smtp):
    api_url, env = prefect_server
    box, smtp_port = smtp
    serve_env = project_env(env, settings, smtp_port, DONDOC_PREFECT_DEPLOYMENT_NAME="one-process",
                            PREFECT_RUNNER_POLL_FREQUENCY="1")
    process = subprocess.Popen([str(BIN / "dondoc"), "serve", "--engine", "prefect"], env=serve_env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        line = process.stdout.readline()
        while line and "dondoc serve starting (engine prefect)" not in line:
            line = process.stdout.readline()
        assert "send-reminders/one-process" in line
        api = httpx.Client(base_url=api_url, timeout=30)
        deadline = time.monotonic() + 60
        while (found := api.get("/deployments/name/send-reminders/one-process")).status_code == 404:
            assert time.monotonic() < deadline and process.poll() is None, "the deployments were not served"
            time.sleep(0.25)
        deployment = found.json()
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 8 * * *"]
        assert deployment["work_pool_name"] is None, "served by the process itself, no work pool"
        run = create_flow_run(api, deployment["id"], {"day": "2016-01-18"})
        deadline, state = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
            if state in ("COMPLETED", "FAILED", "CRASHED"):
                break
            time.sleep(0.5)
        assert state == "COMPLETED"
        assert any("18/01/2016" in m.subject for m in box.to(LAN)), "Monday 18/01's digest arrived"
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[0]
        assert process.returncode == 0, rest
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
