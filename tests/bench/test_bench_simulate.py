"""The simulation benchmark over a few days, so it cannot silently rot: both runs of the real
command line produce the same mail, and the section is written once (about half a minute: two
Prefect starts)."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import simulate  # noqa: E402


@pytest.mark.slow
def test_simulation_benchmark_over_the_first_days_of_the_2015_review(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nolder sections stay\n", encoding="utf-8")
    report = simulate.main(["--from", "2015-10-28", "--to", "2015-11-03", "--write", str(out)])
    cold, warm = report["runs"]["cold"], report["runs"]["warm"]
    assert cold["review_emails"] == warm["review_emails"] > 20  # the 2015 review opened on 02/11
    assert cold["files"] == cold["sent"] == cold["digests"] + cold["review_emails"]
    assert cold["wall"] > 0 and warm["cpu"] > 0
    text = out.read_text(encoding="utf-8")
    assert "older sections stay" in text and text.count(simulate.START) == 1
    assert "`dondoc simulate --from 2015-10-28 --to 2015-11-03`" in text and "at most 40 s: " in text
