"""Prefect's temporary local server, started by us.

With no Prefect server configured (PREFECT_API_URL), Prefect starts a temporary one when a flow
first runs: a uvicorn subprocess serving its API from a SQLite database under PREFECT_HOME. To do
that it first imports its own server code into this process (1.5 s of CPU) and only then starts
the subprocess and waits for it. We start that same subprocess ourselves as soon as a command
knows it will run a flow, before this process imports Prefect: it boots on the other core while
this one imports, and this process never loads the server code. The flow call is then pointed at
it. One server per process, stopped when the process exits, as Prefect's own is, and (on Linux)
also when the process is killed.
"""
import atexit
import ctypes
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from config.errors import ServiceUnavailable

# The command and environment Prefect's SubprocessASGIServer uses (prefect/server/api/server.py,
# Prefect 3.9; constraints.txt pins it, tests/flows/test_prefect_start.py checks the flow runs on ours).
_SERVER_APP = "prefect.server.api.server:create_app"
_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
_STARTUP_FAILED = 3  # uvicorn's exit status when it cannot start (the port taken, Prefect's start failed)
_TRIES = 5

_current: "TemporaryServer | None" = None


def is_wanted() -> bool:
    """No server configured in the environment, and temporary ones allowed. (A server named in a
    Prefect profile is only known once Prefect is imported: `runs_on` then leaves ours unused.)"""
    if os.environ.get("PREFECT_API_URL"):
        return False
    return os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "true").strip().lower() not in ("0", "false", "no", "off")


def start(port: int | None = None) -> "TemporaryServer":
    """This process's temporary server, starting it if it is not running (returns at once)."""
    global _current
    if _current is None or not _current.alive():
        _current = TemporaryServer(Path(os.environ["PREFECT_HOME"]))
        _current.start(port)
        atexit.register(_current.stop)
    return _current


class TemporaryServer:
    def __init__(self, home: Path):
        self.home = home
        self.log_path = home / "temporary-server.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.tries = 0
        self._up = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, port: int | None = None) -> None:
        self.tries += 1
        self.port = port or _free_port()
        self.home.mkdir(parents=True, exist_ok=True)
        site_packages = Path(importlib.util.find_spec("prefect").submodule_search_locations[0]).parent
        with open(self.log_path, "ab") as log:  # the server's own errors, for the message if it fails
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--app-dir", str(site_packages), "--factory", _SERVER_APP,
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
                env={**os.environ, **_SERVER_ENV}, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                # Its own session: a Ctrl-C at the terminal reaches dondoc (which stops cleanly), not the
                # server the flow still reports to; it ends with this process all the same.
                start_new_session=True, preexec_fn=_ends_with_this_process if _can_watch_parent() else None)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> str:
        """Wait until the server answers; its API URL. The first start creates Prefect's database."""
        if self._up:
            return self.api_url
        timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status == _STARTUP_FAILED and self.tries < _TRIES and _taken(self.port):
                self.start()  # another program took the port between our choice and its start
                continue
            if status is not None:
                raise self._failed(f"it stopped with exit status {status}")
            if _answers(f"{self.api_url}/health"):
                self._up = True
                return self.api_url
            time.sleep(0.05)
        self.stop()
        raise self._failed(f"it did not answer within {timeout:g} s (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._up = False

    def _failed(self, why: str) -> ServiceUnavailable:
        last = _last_error(self.log_path)
        return ServiceUnavailable(f"Prefect's temporary server did not start: {why}{last}. "
                                  f"Its log: {self.log_path}. Set PREFECT_API_URL to use a Prefect server of yours instead.",
                                  vi=f"máy chủ Prefect tạm thời không khởi động được: {why}{last}. Nhật ký của nó: "
                                     f"{self.log_path}. Hãy đặt PREFECT_API_URL để dùng máy chủ Prefect riêng.")


def stop_now() -> None:
    """Ask this process's server to stop, without waiting for it (the process is leaving at once)."""
    if _current is not None and _current.alive():
        _current.process.terminate()


def runs_on(server: TemporaryServer | None):
    """Settings for the flow call: Prefect's API is our temporary server, once it answers (unless
    a Prefect profile names a server, or forbids temporary ones: Prefect then goes its own way)."""
    from contextlib import nullcontext

    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED, temporary_settings

    if server is None or PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return nullcontext()
    return temporary_settings(updates={PREFECT_API_URL: server.wait()})


def _can_watch_parent() -> bool:
    # Linux's "parent died" signal follows the thread that started the child: only the main thread's
    # children can have it, or the server would stop when a worker thread ends.
    return sys.platform == "linux" and threading.current_thread() is threading.main_thread()


def _ends_with_this_process() -> None:
    """In the server's process, before it runs: Linux sends it SIGTERM if we die without stopping it
    (killed with SIGKILL, say), so no orphan server is left running."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # no prctl: the server then outlives a killed command, as Prefect's own would


_PR_SET_PDEATHSIG = 1


def _last_error(log_path: Path) -> str:
    """The last exception line the server logged ("...Error: what went wrong"), if any."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line.strip())]
    return f" ({errors[-1]})" if errors else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy


def _answers(url: str) -> bool:
    try:
        with _LOOPBACK.open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
