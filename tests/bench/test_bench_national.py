"""The national benchmark harness at a tiny scale, so it cannot silently rot: every step runs and
the table has every row (SQLite only; a few seconds)."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import national  # noqa: E402


def test_national_benchmark_tiny(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nolder sections stay\n", encoding="utf-8")
    report = national.main(["--provinces", "2", "--loader-provinces", "1", "--blocks", "1", "--focal-points", "2",
                            "--db", "sqlite", "--messages", "5", "--runs", "1", "--requests", "8",
                            "--in-process", "--write", str(out)])
    labels = [row[0] for row in report["rows"]]
    assert labels == [label for _, label, _ in national.ROWS]
    assert all(cell for row in report["rows"] for cell in row[:-1])
    load = report["results"]["sqlite"]["load"]
    assert load["counted"]["plan"] == 2 and load["counted"]["occurrence"] == 2 * load["occurrences"] > 0
    assert load["counted"]["focalpoint"] == 2 * 35 * 2
    assert report["results"]["sqlite"]["review"]["finished"]
    assert report["results"]["sqlite"]["overview"]["requests"] == 6
    text = out.read_text(encoding="utf-8")
    assert "older sections stay" in text and text.count(national.START) == 1
    for _, label, _ in national.ROWS:
        assert f"| {label} |" in text
    # Writing again replaces the section instead of adding another.
    national.write_section(out, report["section"])
    assert out.read_text(encoding="utf-8").count(national.START) == 1


def test_some_steps_only_run_those_and_print_their_results(capsys):
    report = national.main(["--provinces", "1", "--loader-provinces", "1", "--blocks", "1", "--focal-points", "1",
                            "--db", "sqlite", "--requests", "8", "--in-process", "--steps", "load,overdue"])
    assert list(report["results"]["sqlite"]) == ["load", "overdue", "whole"]
    assert report["results"]["sqlite"]["overdue"]["requests"] == 8
    assert "overdue: {" in capsys.readouterr().out


def test_an_unknown_step_or_writing_the_table_from_some_steps_is_refused(capsys):
    for argv in (["--steps", "load,nap"], ["--steps", "load", "--write", "BENCHMARKS.md"]):
        with pytest.raises(SystemExit):
            national.main(argv)
    assert "unknown steps: nap" in capsys.readouterr().err


def test_the_dispatch_step_can_be_measured_again_on_the_data_an_earlier_run_kept(tmp_path):
    tiny = ["--provinces", "2", "--loader-provinces", "1", "--blocks", "1", "--focal-points", "2", "--db", "sqlite",
            "--messages", "5", "--runs", "1", "--in-process", "--folder", str(tmp_path)]
    national.main(tiny + ["--steps", "load", "--keep"])
    for _ in range(2):  # the second time, its digests' keys follow the first's
        report = national.main(tiny + ["--steps", "dispatch"])
        rows = {row[0]: row[1] for row in report["rows"]}
        assert rows["dispatch to aiosmtpd"].endswith("digests/s") and rows["peak RSS: load"] == "not run"
    assert (tmp_path / "sqlite" / "national.db").exists()
