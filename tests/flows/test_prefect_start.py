"""Prefect's temporary server is started by us, before Prefect is imported, by the commands that run
a flow: the flow runs on it, this process never loads Prefect's server code, and the server stops
when the process exits. A configured server is used instead; a server that cannot start is one
clear error line."""
import os
import signal
import socket
import subprocess
import sys
import time

from tests.conftest import BUNDLED_PLAN

PROBE = """
import sys
from config.settings import get_settings
from flows import prepare_prefect, temporary_server
prepare_prefect(get_settings())
server = temporary_server.start(*[int(p) for p in sys.argv[1:]])
prefect_imported_before_the_start = "prefect" in sys.modules
from prefect import flow
from prefect.client.orchestration import get_client

@flow
def which_server():
    with get_client(sync_client=True) as client:
        return str(client.api_url).rstrip("/")

with temporary_server.runs_on(server):
    used = which_server()
    with get_client(sync_client=True) as client:
        runs = len(client.read_flow_runs())
print(prefect_imported_before_the_start, used == server.api_url, runs,
      "prefect.server.api.server" in sys.modules, server.port, flush=True)
"""


def probe_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONDOC_", "PREFECT_"))}
    env.update(DONDOC_DATA_DIR=str(tmp_path), PYTHONUNBUFFERED="1", **extra)
    return env


def run_probe(tmp_path, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], env=probe_env(tmp_path, **extra),
                          capture_output=True, text=True, timeout=180)


def answers(port: int) -> bool:
    with socket.socket() as client:
        client.settimeout(2)
        return client.connect_ex(("127.0.0.1", port)) == 0


def test_the_flow_runs_on_the_temporary_server_we_started_and_it_stops_with_the_process(tmp_path):
    result = run_probe(tmp_path)
    assert result.returncode == 0, result.stderr
    before, on_ours, runs, server_code_loaded, port = result.stdout.split()
    assert (before, on_ours, runs, server_code_loaded) == ("False", "True", "1", "False"), result.stdout + result.stderr
    assert not answers(int(port))  # stopped when the probe exited
    assert (tmp_path / "prefect" / "prefect.db").exists()  # Prefect's database is under our data folder


def test_a_command_killed_with_sigkill_leaves_no_server_running(tmp_path):
    probe = ("import os, signal, time\n"
             "from config.settings import get_settings\n"
             "from flows import prepare_prefect, temporary_server\n"
             "prepare_prefect(get_settings())\n"
             "server = temporary_server.start()\n"
             "server.wait()\n"
             "print(server.port, flush=True)\n"
             "os.kill(os.getpid(), signal.SIGKILL)\n")
    result = subprocess.run([sys.executable, "-c", probe], env=probe_env(tmp_path), capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == -signal.SIGKILL, result.stderr
    port = int(result.stdout.split()[0])
    deadline = time.monotonic() + 15
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not answers(port)


def test_a_port_taken_by_another_program_moves_the_server_to_another_port(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = run_probe(tmp_path, str(taken))
    assert result.returncode == 0, result.stderr
    before, on_ours, runs, _, port = result.stdout.split()
    assert (on_ours, runs) == ("True", "1") and int(port) != taken, result.stdout + result.stderr


def test_no_temporary_server_is_started_when_a_prefect_server_is_configured(tmp_path):
    probe = ("from flows import temporary_server\n"
             "print(temporary_server.is_wanted())\n")
    for extra in (dict(PREFECT_API_URL="http://127.0.0.1:9/api"), dict(PREFECT_SERVER_EPHEMERAL_ENABLED="false")):
        result = subprocess.run([sys.executable, "-c", probe], env=probe_env(tmp_path, **extra), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "False", extra


def test_a_temporary_server_that_cannot_start_is_one_clear_error_line_and_exit_status_1(tmp_path):
    dondoc = os.path.join(os.path.dirname(sys.executable), "dondoc")
    env = probe_env(tmp_path, PREFECT_API_DATABASE_CONNECTION_URL="sqlite+aiosqlite:////nonexistent/folder/prefect.db",
                    DONDOC_LANGUAGE="en")  # the English message is the one checked here
    subprocess.run([dondoc, "plan", "load", str(BUNDLED_PLAN)], env=env, check=True,
                   capture_output=True, timeout=120)
    result = subprocess.run([dondoc, "remind", "--today", "2016-01-15"], env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Prefect's temporary server did not start: it stopped with exit status 3"), result.stderr
    assert "unable to open database file" in result.stderr  # the cause, from the server's log
    assert str(tmp_path / "prefect" / "temporary-server.log") in result.stderr
