"""Property-based fuzzing of `dondoc plan load`: mutated plan and agency files, and plan files built
from values of every YAML type. Each either loads, or exits with code 2 and one message naming the
file and a line or field, without a traceback, the database exactly as it was. Deterministic."""
import json
from datetime import date

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from tests.abuse_support import Snapshot
from tests.conftest import AGENCIES, BUNDLED_PLAN

# No shrinking: each example runs the whole command, and a failure shows its file as generated.
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# A small plan cut from the bundled one: its header, four tasks and one task led by a group.
_BUNDLED = yaml.safe_load(BUNDLED_PLAN.read_text(encoding="utf-8"))
_TASKS = _BUNDLED["tasks"][:4] + [next(t for t in _BUNDLED["tasks"] if t["lead"] == "UBND-HUYEN")]
BASE_PLAN = yaml.safe_dump({"plan": _BUNDLED["plan"], "tasks": _TASKS}, allow_unicode=True, sort_keys=False, width=120)
BASE_AGENCIES = AGENCIES.read_text(encoding="utf-8")

HOSTILE_VALUES = [
    "", "~", "null", "[]", "{}", "[SKHDT, STC]", "{a: 1}", "'", '"', "&anchor x", "*nowhere", "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']", "!!set {a}", "2015-02-30", "2015-13-01", "99999-01-01", "0001-01-01",
    "2015-06-30T25:00:00", "1e309", "-1", "0", "3.5", "true", "no", "0x1F", "x" * 300, '"\\x01"', '"\\x00"',
    '"a\\r\\nBcc: evil@attacker.example"', "'<script>alert(1)</script>'", "FREQ=SECONDLY", "FREQ=MINUTELY",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=YEARLY;COUNT=99999999",
    "FREQ=YEARLY;INTERVAL=0", "FREQ=WEEKLY;BYDAY=XX", "FREQ=MONTHLY;BYMONTHDAY=99", "DTSTART:20150101",
    "FREQ=YEARLY;UNTIL=29991231T000000Z", "NOPE", "SKHDT", "UBND-HUYEN", "SO-NGANH-HUYEN", "3.1.1-a", "one-off",
    "recurring", "ongoing", "undated", "'" + ".".join(["1"] * 45) + "-a'", "\t", "| \n  x", ": :", "- - -", "? a",
    "🙂", "\u202e", "ǅ", "Ⅲ", "'=cmd|calc'", "primary", "head", "en", "xx", "a@b.org", "'a@b'",
]
KEY_NAMES = ["ref", "section", "title", "text", "lead", "coordinating", "timing", "due", "rrule", "anchor",
             "deadline_phrase", "date_source", "overrides", "note", "code", "name_vi", "name_en", "kind", "aliases",
             "members", "focal_points", "name", "email", "role", "language", "active", "horizon_start", "horizon_end",
             "plan", "tasks", "agencies", "groups", "extra", "review_inputs_due", "month", "day"]


def mutations(lines: int):
    where = st.integers(0, lines - 1)
    return st.lists(st.one_of(
        st.tuples(st.just("value"), where, st.sampled_from(HOSTILE_VALUES) | st.text(max_size=20)),
        st.tuples(st.just("key"), where, st.sampled_from(KEY_NAMES)),
        st.tuples(st.just("delete"), where), st.tuples(st.just("duplicate"), where),
        st.tuples(st.just("swap"), where, where),
        st.tuples(st.just("indent"), where, st.sampled_from(["", " ", "  ", "    ", "\t"])),
        st.tuples(st.just("insert"), where, st.sampled_from(HOSTILE_VALUES) | st.text(max_size=20)),
        st.tuples(st.just("truncate"), where),
    ), min_size=1, max_size=6)


def mutate(text: str, steps) -> str:
    lines = text.split("\n")
    for kind, where, *rest in steps:
        if not lines:
            break
        where %= len(lines)
        line = lines[where]
        if kind == "value" and ":" in line:
            lines[where] = line.split(":", 1)[0] + ": " + rest[0]
        elif kind == "key" and ":" in line:
            prefix = line[: len(line) - len(line.lstrip(" -"))]
            lines[where] = prefix + rest[0] + ":" + line.split(":", 1)[1]
        elif kind == "delete":
            del lines[where]
        elif kind == "duplicate":
            lines.insert(where, line)
        elif kind == "swap":
            other = rest[0] % len(lines)
            lines[where], lines[other] = lines[other], line
        elif kind == "indent":
            lines[where] = rest[0] + line.lstrip(" ")
        elif kind == "insert":
            lines.insert(where, rest[0])
        elif kind == "truncate":
            lines = lines[:where]
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """The refusals checked here are the English ones (DONDOC_LANGUAGE=vi, the default, is tests/cli/test_cli_language.py's)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")



@pytest.fixture
def base(cli, tmp_path, engine):
    """A database holding the small plan, and where the fuzzed files go."""
    plan, agencies = tmp_path / "plan.yaml", tmp_path / "agencies.yaml"
    plan.write_text(BASE_PLAN, encoding="utf-8")
    agencies.write_text(BASE_AGENCIES, encoding="utf-8")
    cli.ok("plan", "load", plan, "--agencies", agencies)
    return plan, agencies, Snapshot(engine)


def load_and_check(cli, plan, agencies, snapshot):
    before = snapshot()
    result = cli("plan", "load", plan, "--agencies", agencies)
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.output}{result.exception!r}"
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        message = result.output.strip()
        assert message.startswith(f"error: {plan}") or message.startswith(f"error: {agencies}"), message
        assert "\n" not in message, message
        place = message.split(": ", 2)[1]
        assert ":" in place.removeprefix(str(plan)).removeprefix(str(agencies)) or message.count(": ") >= 3, message
        assert snapshot() == before, "a refused file changed the database"


@FUZZ
@given(steps=mutations(BASE_PLAN.count("\n") + 1))
def test_a_mutated_plan_file_loads_or_is_refused_naming_file_and_line_with_nothing_written(cli, base, steps):
    plan, agencies, snapshot = base
    plan.write_text(mutate(BASE_PLAN, steps), encoding="utf-8")
    load_and_check(cli, plan, agencies, snapshot)


@settings(FUZZ, max_examples=20)
@given(steps=mutations(BASE_AGENCIES.count("\n") + 1))
def test_a_mutated_agency_file_loads_or_is_refused_naming_file_and_line_with_nothing_written(cli, base, steps):
    plan, agencies, snapshot = base
    agencies.write_text(mutate(BASE_AGENCIES, steps), encoding="utf-8")
    load_and_check(cli, plan, agencies, snapshot)
    agencies.write_text(BASE_AGENCIES, encoding="utf-8")


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.dates(min_value=date(1, 1, 1)), st.sampled_from(HOSTILE_VALUES),
    st.sampled_from(["SKHDT", "UBND-HUYEN", "one-off", "recurring", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                           max_size=3), max_leaves=6)


@FUZZ
@given(header=st.dictionaries(st.sampled_from(KEY_NAMES[26:30] + ["code", "title", "province", "source"]), values,
                              max_size=6),
       tasks=st.lists(st.dictionaries(st.sampled_from(KEY_NAMES[:14]), values, max_size=10), max_size=4),
       keep=st.booleans())
def test_a_plan_file_of_values_of_any_type_loads_or_is_refused_with_nothing_written(cli, base, header, tasks, keep):
    plan, agencies, snapshot = base
    content = {"plan": {**_BUNDLED["plan"], **header} if keep else header, "tasks": tasks}
    try:
        text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        text = json.dumps(content, default=str)
    plan.write_text(text, encoding="utf-8")
    load_and_check(cli, plan, agencies, snapshot)
