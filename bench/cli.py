"""How fast the command line feels: each command's wall time as a ratio, in the same run, to the floor
every SQLAlchemy command pays (`python -c "import sqlalchemy"`), on the demo data.

    .venv/bin/python -m bench.cli                  # builds the demo data in a temporary folder first
    .venv/bin/python -m bench.cli --data-dir DIR   # on a folder `dondoc demo` filled already
    .venv/bin/python -m bench.cli --write BENCHMARKS.md

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


def run(data_dir: Path | None, runs: int) -> str:
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
        floor, floor_runs = timed([sys.executable, "-c", "import sqlalchemy"], env, runs)
        rows = []
        for label, args, target in COMMANDS:
            median, _ = timed([DONDOC, *args], env, runs)
            ratio = median / floor
            rows.append((label, median, ratio, target, imports_prefect(args, env)))
        floor_again, _ = timed([sys.executable, "-c", "import sqlalchemy"], env, runs)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## Command line speed (`python -m bench.cli`), {stamp}", "",
             f"Machine: {machine()}.", "",
             f"Floor `python -c \"import sqlalchemy\"`: {floor:.3f} s (median of {runs}; {floor_again:.3f} s after the "
             "commands). Demo data (`dondoc demo`), 15/01/2016.", "",
             "| command | median | ratio to floor | target | Prefect imported | verdict |", "|---|---|---|---|---|---|"]
    for label, median, ratio, target, prefect in rows:
        verdict = "met" if ratio <= target and not prefect else "MISSED"
        lines.append(f"| `{label}` | {median:.3f} s | {ratio:.2f}x | <= {target}x | {'yes' if prefect else 'no'} | {verdict} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="a folder `dondoc demo` filled (default: build one)")
    parser.add_argument("--runs", type=int, default=7, help="runs per command (the median is kept)")
    parser.add_argument("--write", type=Path, default=None, help="append the section to this file (BENCHMARKS.md)")
    args = parser.parse_args()
    section = run(args.data_dir, args.runs)
    print(section)
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            out.write("\n" + section)


if __name__ == "__main__":
    main()
