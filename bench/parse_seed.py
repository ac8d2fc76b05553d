"""How long parsing the seed plan takes: the median of N parses, in milliseconds.

    .venv/bin/python bench/parse_seed.py [N]      (default N = 50)

Reading the agency directory and the policy is done once, outside the timing, as the CLI does
once per run; each timed parse builds its own agency matcher.
"""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.files import read_agency_file  # noqa: E402
from config.policy import read_policy  # noqa: E402
from models.plan_parser import decode_plan, parse_plan  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "plans" / "bac-kan-2015-2020.txt"


def main(runs: int) -> None:
    directory = read_agency_file(ROOT / "config" / "agencies.yaml")
    policy = read_policy(ROOT / "config" / "policy.yaml")
    raw = SEED.read_bytes()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        text, _warnings = decode_plan(raw)
        plan = parse_plan(text, directory, policy)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"parse {SEED.name}: {len(plan.tasks)} tasks; median {statistics.median(timings):.1f} ms per parse "
          f"over {runs} runs (min {min(timings):.1f}, max {max(timings):.1f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
