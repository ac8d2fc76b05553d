"""`dondoc serve` as a real process: it logs that it started, serves the dashboard, refuses a second
scheduler on the same database, and stops cleanly on SIGTERM, giving its lease back."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dondoc.app.context import AppContext
from models.scheduler import current_lease
from tests.review_support import free_port

DONDOC = str(Path(sys.executable).with_name("dondoc"))


def serve_env(settings, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DONDOC_", "PREFECT_"))}
    env.update(DONDOC_DATA_DIR=str(settings.data_dir), DONDOC_DATABASE_URL=settings.resolved_database_url,
               DONDOC_TODAY="2016-01-15", PYTHONUNBUFFERED="1", **extra)
    return env


def wait_for_line(process, pattern: str, seconds: float = 60.0) -> tuple[str, list[str]]:
    """Read the process's stdout until a line matches; (the line, every line read)."""
    lines, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line)
        if re.search(pattern, line):
            return line, lines
    raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(lines)}")


def test_a_second_serve_is_refused_naming_the_holder_and_sigterm_stops_the_first_cleanly(settings):
    context = AppContext(settings)
    context.engine  # migrated before the processes start
    port = free_port()
    first = subprocess.Popen([DONDOC, "serve", "--port", str(port)], env=serve_env(settings), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        taken, _ = wait_for_line(first, r"scheduler lease taken by (\S+)")
        holder = re.search(r"taken by (\S+)", taken).group(1)
        started, _ = wait_for_line(first, r"dondoc scheduler started")
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO dondoc.serve: ", started), "timestamped lines"
        wait_for_line(first, r"dashboard on http://")
        page = None
        for _ in range(100):  # the dashboard, in the same process
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert page is not None and page.status == 200

        second = subprocess.run([DONDOC, "serve", "--no-web"], env=serve_env(settings), text=True,
                                capture_output=True, timeout=60)
        assert second.returncode == 1
        assert holder in second.stderr and "một bộ lập lịch khác đang giữ cơ sở dữ liệu này" in second.stderr
        english = subprocess.run([DONDOC, "serve", "--no-web"], env={**serve_env(settings), "DONDOC_LANGUAGE": "en"},
                                 text=True, capture_output=True, timeout=60)
        assert english.returncode == 1 and "another scheduler holds this database" in english.stderr
        assert "Traceback" not in second.stderr + second.stdout
        assert current_lease(context.engine).holder == holder

        first.send_signal(signal.SIGTERM)
        rest = first.communicate(timeout=30)[0]
        assert first.returncode == 0, rest
        assert "SIGTERM received" in rest and f"scheduler lease released by {holder}" in rest
        assert current_lease(context.engine) is None
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        context.close()


def test_ctrl_c_stops_a_serve_without_the_dashboard_and_releases_the_lease(settings):
    context = AppContext(settings)
    context.engine
    process = subprocess.Popen([DONDOC, "serve", "--no-web"], env=serve_env(settings), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _, lines = wait_for_line(process, r"send-reminders for 15/01/2016 08:00")  # the catch-up at start
        assert current_lease(context.engine) is not None
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=30)[0]
        assert process.returncode == 0, "".join(lines) + rest
        assert "dondoc serve stopped" in rest and "Traceback" not in rest
        assert current_lease(context.engine) is None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        context.close()


def test_deploy_to_a_prefect_server_that_does_not_answer_is_one_clear_line(settings, tmp_path):
    env = serve_env(settings, PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api",
                    PREFECT_HOME=str(tmp_path / "prefect-home"), DO_NOT_TRACK="1", PREFECT_CLIENT_MAX_RETRIES="0")
    result = subprocess.run([DONDOC, "deploy"], env=env, text=True, capture_output=True, timeout=120)
    assert result.returncode == 2
    assert "không trả lời" in result.stderr and "PREFECT_API_URL" in result.stderr  # Vietnamese by default
    assert "Traceback" not in result.stderr + result.stdout
