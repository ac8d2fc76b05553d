"""Prefect's temporary server is started early, in the background, by the commands that run a flow:
once the wait returns it answers, and the flow then uses that same server."""
import os
import subprocess
import sys

PROBE = """
import time
import httpx
from config.settings import get_settings
from flows import prepare_prefect, start_temporary_server
prepare_prefect(get_settings())
began = time.perf_counter()
wait = start_temporary_server()
returned_at_once = time.perf_counter() - began < 0.5
wait()
from prefect.server.api.server import SubprocessASGIServer
server = SubprocessASGIServer()
health = httpx.get(server.api_url + "/health").status_code if server.running else None
from prefect import flow
@flow
def which_server():
    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:
        return str(client.api_url).rstrip("/")
print(returned_at_once, health, which_server() == server.api_url, flush=True)
"""


def run_probe(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONDOC_", "PREFECT_"))}
    env.update(DONDOC_DATA_DIR=str(tmp_path), PYTHONUNBUFFERED="1", **extra)
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=180)


def test_the_temporary_server_starts_in_the_background_answers_once_waited_for_and_serves_the_flow(tmp_path):
    result = run_probe(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "200", "True"], result.stdout + result.stderr


def test_no_temporary_server_is_started_when_a_prefect_server_is_configured(tmp_path):
    probe = ("from flows import start_temporary_server\n"
             "start_temporary_server()()\n"
             "from prefect.server.api.server import SubprocessASGIServer\n"
             "print(SubprocessASGIServer().running)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONDOC_", "PREFECT_"))}
    env.update(DONDOC_DATA_DIR=str(tmp_path), PREFECT_API_URL="http://127.0.0.1:9/api")
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
