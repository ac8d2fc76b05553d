"""How fast the command line feels: each command's wall time as a ratio, in the same run, to the floor
every SQLAlchemy command pays (`python -c "import sqlalchemy"`), on the demo data.

    .venv/bin/python -m bench.cli                  # builds the demo data in a temporary folder first
    .venv/bin/python -m bench.cli --data-dir DIR   # on a folder `dondoc demo` filled already
    .venv/bin/python -m bench.cli --write BENCHMARKS.md
    .venv/bin/python -m bench.cli --before ../wt-main  # another checkout (with its .venv), timed in the same run

Targets (issue 23): `dondoc --help` <= 1.3x; the read commands <= 2x; `dondoc remind` with nothing to
send <= 3x; Prefect imported by none of these (checked with `python -X importtime`).
A benchmark, not a test: the machine's load moves the numbers; the ratios move much less.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DONDOC = str(BIN / "dondoc")

# (label, arguments, target ratio). The demo's day: 15/01/2016, after its reminders ran.
COMMANDS = [
    ("dondoc --help", ["--help"], 1.3),
    ("dondoc tasks", ["tasks", "--today", "15/01/2016"], 2.0),
    ("dondoc overdue", ["overdue", "--today", "15/01/2016"], 2.0),
    ("dondoc task show 3.3-a/BA-BE", ["task", "show", "3.3-a/BA-BE", "--today", "15/01/2016"], 2.0),
    ("dondoc agencies list", ["agencies", "list"], 2.0),
    ("dondoc status", ["status"], 2.0),
    ("dondoc remind (nothing to send)", ["remind", "--today", "15/01/2016"], 3.0),
]


def timed_pair(ours: list[str], theirs: list[str], env: dict, before_env: dict, runs: int) -> tuple[float, float]:
    """Two commands' medians, timed turn about (a change in the machine's load falls on both)."""
    mine, other = [], []
    for _ in range(runs):
        mine.append(timed(ours, env, 1)[0])
        other.append(timed(theirs, before_env, 1)[0])
    return statistics.median(mine), statistics.median(other)


def timed(argv: list[str], env: dict, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            raise SystemExit(f"{' '.join(argv[1:])} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}")
    return statistics.median(times), times


def imports_prefect(args: list[str], env: dict) -> bool:
    done = subprocess.run([sys.executable, "-X", "importtime", DONDOC, *args], env=env, capture_output=True, cwd=ROOT)
    return any(line.rsplit("|", 1)[-1].strip().split(".")[0] == "prefect" for line in done.stderr.decode().splitlines())


def ctrl_c_seconds(dondoc: str, data_dir: Path, env: dict, scratch: Path, cwd: Path) -> tuple[float, int]:
    """Seconds from Ctrl-C (SIGINT) to the end of a `dondoc simulate` whose days are running, and its
    exit status, on a copy of the demo's database (the demo's own is left as it was)."""
    import signal
    import sqlite3

    copy = scratch / f"ctrl-c-{len(list(scratch.glob('ctrl-c-*')))}"
    copy.mkdir()
    with sqlite3.connect(data_dir / "dondoc.db") as origin, sqlite3.connect(copy / "dondoc.db") as target:
        origin.backup(target)

    def daily() -> int:
        with sqlite3.connect(copy / "dondoc.db", timeout=30) as db:
            return db.execute("SELECT count(*) FROM message WHERE kind = 'daily'").fetchone()[0]

    before = daily()
    process = subprocess.Popen([dondoc, "simulate", "--from", "16/01/2016", "--to", "31/12/2020"], cwd=cwd,
                               env=dict(env, DONDOC_DATA_DIR=str(copy)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while daily() == before:  # the days have started (after Prefect's temporary server)
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"simulate ended or never started:\n{process.communicate()[1].decode()[-2000:]}")
            time.sleep(0.1)
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        signalled = time.perf_counter()
        process.communicate(timeout=120)
        return time.perf_counter() - signalled, process.returncode
    finally:
        if process.poll() is None:
            process.kill()


def build_demo(data_dir: Path, env: dict) -> None:
    print(f"building the demo data in {data_dir} (dondoc demo --no-serve) ...", file=sys.stderr)
    done = subprocess.run([DONDOC, "demo", "--no-serve"], env=env, capture_output=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"dondoc demo failed:\n{done.stderr.decode()[-3000:]}")


def machine() -> str:
    import platform
    import sqlite3
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", memory {pages / 2**30:.1f} GiB"
    except (ValueError, OSError):
        pass
    load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (f"nproc {os.cpu_count()}{memory}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{platform.system()} {platform.machine()}{load}")


def run(data_dir: Path | None, runs: int, before: Path | None = None) -> str:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    env.pop("DONDOC_DATABASE_URL", None)
    env.pop("DONDOC_TODAY", None)
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-cli-") as scratch:
        if data_dir is None:
            data_dir = Path(scratch) / "data"
            env["DONDOC_DATA_DIR"] = str(data_dir)
            build_demo(data_dir, env)
        env["DONDOC_DATA_DIR"] = str(data_dir)
        env["DONDOC_LANGUAGE"] = "en"
        for _, args, _ in COMMANDS:  # warm the caches (bytecode, the file system) once
            subprocess.run([DONDOC, *args], env=env, capture_output=True, cwd=ROOT)
        before_env = dict(env)
        if before is not None:
            before_env.pop("VIRTUAL_ENV", None)
            theirs = str(before / ".venv" / "bin" / "dondoc")
            for _, args, _ in COMMANDS:
                subprocess.run([theirs, *args], env=before_env, capture_output=True, cwd=before)
        floor, floor_runs = timed([sys.executable, "-c", "import sqlalchemy"], env, runs)
        rows = []
        for label, args, target in COMMANDS:
            if before is None:
                median, earlier = timed([DONDOC, *args], env, runs)[0], None
            else:
                median, earlier = timed_pair([DONDOC, *args], [theirs, *args], env, before_env, runs)
            ratio = median / floor
            rows.append((label, median, ratio, target, imports_prefect(args, env), earlier))
        floor_again, _ = timed([sys.executable, "-c", "import sqlalchemy"], env, runs)
        stop = ctrl_c_seconds(DONDOC, data_dir, env, Path(scratch), ROOT)
        stop_before = ctrl_c_seconds(theirs, data_dir, before_env, Path(scratch), before) if before else None
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## Command line speed (`python -m bench.cli`), {stamp}", "",
             f"Machine: {machine()}.", "",
             f"Floor `python -c \"import sqlalchemy\"`: {floor:.3f} s (median of {runs}; {floor_again:.3f} s after the "
             "commands). Demo data (`dondoc demo`), 15/01/2016.", "",
             "| command | median | ratio to floor | target | Prefect imported | verdict |"
             + (" before: median | before: ratio |" if before else ""),
             "|---|---|---|---|---|---|" + ("---|---|" if before else "")]
    for label, median, ratio, target, prefect, earlier in rows:
        verdict = "met" if ratio <= target and not prefect else "MISSED"
        lines.append(f"| `{label}` | {median:.3f} s | {ratio:.2f}x | <= {target}x | {'yes' if prefect else 'no'} | {verdict} |"
                     + (f" {earlier:.3f} s | {earlier / floor:.2f}x |" if before else ""))
    lines.append(f"| Ctrl-C on a running `dondoc simulate`, to its exit | {stop[0]:.2f} s (exit {stop[1]}) | | <= 1 s | | "
                 f"{'met' if stop[0] <= 1 and stop[1] == 130 else 'MISSED'} |"
                 + (f" {stop_before[0]:.2f} s (exit {stop_before[1]}) | |" if before else ""))
    if before:
        lines += ["", f"Before: {before} (commit {_commit(before)}), each command timed turn about with this one."]
    return "\n".join(lines) + "\n"


def _commit(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="a folder `dondoc demo` filled (default: build one)")
    parser.add_argument("--runs", type=int, default=7, help="runs per command (the median is kept)")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout with its own .venv (e.g. a worktree of main): its commands timed in the same run")
    parser.add_argument("--write", type=Path, default=None, help="append the section to this file (BENCHMARKS.md)")
    args = parser.parse_args()
    section = run(args.data_dir, args.runs, args.before)
    print(section)
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            out.write("\n" + section)


if __name__ == "__main__":
    main()
