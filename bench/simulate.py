"""How long the whole 2015-2020 plan takes to simulate (issue 4: "well under a minute").

    .venv/bin/python -m bench.simulate [--from 2015-01-01] [--to 2020-12-31] [--write BENCHMARKS.md]

Runs the real command line, as a user would, in a fresh data folder with the bundled plan loaded:
`dondoc simulate --from ... --to ...` (one Prefect flow run with its temporary local server, the
local .eml outbox). Twice:

1. cold: a new data folder, so Prefect also creates its own database (its first start);
2. warm: the same plan loaded into another new database, Prefect's folder kept from run 1 (what
   every later run on an installed machine sees).

For each: wall time, CPU time (the command and its children, Prefect's server included), and what
the simulation produced (digests, review emails, .eml files), which must be the same both times.
Prints a table; with --write, replaces the section between `<!-- simulate:start -->` and
`<!-- simulate:end -->` of that file. Loopback only.
"""
import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.national import machine, write_section

ROOT = Path(__file__).resolve().parents[1]
DONDOC = Path(sys.executable).parent / "dondoc"
PLAN = ROOT / "config" / "plans" / "bac-kan-2015-2020.yaml"
START, END = "<!-- simulate:start -->", "<!-- simulate:end -->"
TARGET_SECONDS = 40  # "well under a minute", taken as two thirds of one at most


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dondoc(data_dir: Path, *args: str, prefect_home: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DONDOC_DATA_DIR=str(data_dir))
    env.pop("DONDOC_DATABASE_URL", None)  # the embedded default: SQLite in the data folder
    if prefect_home is not None:
        env["PREFECT_HOME"] = str(prefect_home)
    result = subprocess.run([str(DONDOC), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"dondoc {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def produced(data_dir: Path) -> dict:
    with sqlite3.connect(data_dir / "dondoc.db") as db:
        kinds = dict(db.execute("SELECT kind, count(*) FROM message GROUP BY kind").fetchall())
        sent = db.execute("SELECT count(*) FROM message WHERE status = 'sent'").fetchone()[0]
    files = sum(1 for _ in (data_dir / "outbox").rglob("*.eml"))
    return dict(digests=kinds.pop("daily", 0), review_emails=sum(kinds.values()), sent=sent, files=files)


def simulate_once(data_dir: Path, start: str, end: str, prefect_home: Path) -> dict:
    dondoc(data_dir, "plan", "load", str(PLAN))
    cpu_before, began = children_cpu(), time.perf_counter()
    dondoc(data_dir, "simulate", "--from", start, "--to", end, prefect_home=prefect_home)
    wall, cpu = time.perf_counter() - began, children_cpu() - cpu_before
    return dict(wall=wall, cpu=cpu, **produced(data_dir))


def markdown(runs: dict, args, info: dict, stamp: str) -> str:
    cold, warm = runs["cold"], runs["warm"]
    verdict = "met" if max(cold["wall"], warm["wall"]) <= TARGET_SECONDS else "MISSED"
    return "\n".join([
        START,
        f"## The whole plan simulated ({stamp}, `python -m bench.simulate`)",
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']}, Python {info['python']}, "
        f"SQLite {info['sqlite']}; load average {info['load']} at the start, {info['load_end']} at the end.",
        "",
        f"`dondoc simulate --from {args.start} --to {args.end}` on the bundled plan, the real command line "
        f"(one Prefect flow run with its temporary local server, the local .eml outbox):",
        "",
        "| run | wall | CPU (with Prefect's server) | digests | review emails | .eml files |",
        "|---|---|---|---|---|---|",
        *[f"| {name} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['digests']:,} | {r['review_emails']:,} | {r['files']:,} |"
          for name, r in (("cold: Prefect's first start (creates its database)", cold),
                          ("warm: Prefect's folder kept, as on an installed machine", warm))],
        "",
        f"Target: well under a minute, taken here as at most {TARGET_SECONDS} s: {verdict}.",
        END,
    ])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="start", default="2015-01-01")
    parser.add_argument("--to", dest="end", default="2020-12-31")
    parser.add_argument("--write", type=Path, default=None, help="update the simulate section of this file")
    args = parser.parse_args(argv)
    info = machine()
    folder = Path(tempfile.mkdtemp(prefix="dondoc-bench-simulate-"))
    try:
        prefect_home = folder / "prefect"
        runs = {name: simulate_once(folder / name, args.start, args.end, prefect_home) for name in ("cold", "warm")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    same = {k: v for k, v in runs["cold"].items() if k not in ("wall", "cpu")}
    assert same == {k: v for k, v in runs["warm"].items() if k not in ("wall", "cpu")}, runs
    assert same["files"] == same["sent"] == same["digests"] + same["review_emails"], same
    info["load_end"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for name, r in runs.items():
        print(f"{name:5} wall {r['wall']:5.1f} s  cpu {r['cpu']:5.1f} s  digests {r['digests']:,}  "
              f"review emails {r['review_emails']:,}  files {r['files']:,}")
    section = markdown(runs, args, info, stamp)
    if args.write:
        write_section(args.write, section, START, END)
    return dict(runs=runs, section=section)


if __name__ == "__main__":
    main()
