"""Property-based fuzzing of the plan parser: mutations of the seed plan, arbitrary bytes, and
`dondoc plan parse` on them. Whatever comes in, the answer is a parsed plan (whose JSON and YAML can
be written and read back) or an InputError, never another exception. Deterministic (derandomize)."""
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from config.errors import InputError
from config.files import read_agency_file
from config.policy import read_policy
from models.plan_parser import decode_plan, parse_plan
from models.plan_parser.output import json_text, yaml_text
from tests.conftest import AGENCIES, CONFIG_DIR, FIXTURES

SEED = FIXTURES / "plans" / "bac-kan-2015-2020.txt"
SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
DIRECTORY = read_agency_file(AGENCIES)
POLICY = read_policy(CONFIG_DIR / "policy.yaml").due_dates
FUZZ = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Pieces of plan text the parser reacts to, and pieces that break things.
FRAGMENTS = [
    "", "\t", "   ", "\ufeff", "\u200b", "\x00", "\x0c", "\r", "\u2028", "3.1.", "3.1.1.", "II.", "IV.", "- ", "+ ",
    "a) ", "1. ", "Thời gian thực hiện: quý V năm 2015", "Thời gian: hằng năm", "trước ngày 45 tháng 13 hằng năm",
    "ngày 31/02/2016", "ngày 0/0/0", "năm 99999", "năm 0", "giai đoạn 2020-2015", "giai đoạn 2015 - 2015",
    "quý II năm 2015", "6 tháng đầu năm", "Định kỳ", "thường xuyên", "Chủ trì: Sở Tài chính", "Sở Không Tồn Tại",
    "UBND các huyện, thị xã:", "phối hợp với các sở, ngành", "Nơi nhận:", "KẾ HOẠCH", "(", ")", "((((", ":", ";",
    "…", "Ⅲ.", "３.１.", "３", "²", "ǅ", "ĐẰ", "e\u0301", "🙂", "<script>alert(1)</script>", "x" * 300,
]
mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(SEED_LINES) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(SEED_LINES) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(SEED_LINES) - 1), st.integers(0, len(SEED_LINES) - 1)),
    st.tuples(st.just("insert"), st.integers(0, len(SEED_LINES)), st.sampled_from(FRAGMENTS) | st.text(max_size=30)),
    st.tuples(st.just("append"), st.integers(0, len(SEED_LINES) - 1), st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("cut"), st.integers(0, len(SEED_LINES) - 1), st.integers(0, 80)),
    st.tuples(st.just("truncate"), st.integers(0, len(SEED_LINES))),
)


def mutate(lines: list[str], steps) -> str:
    lines = list(lines)
    for step in steps:
        kind, where = step[0], min(step[1], max(len(lines) - 1, 0))
        if not lines and kind != "insert":
            continue
        if kind == "delete":
            del lines[where]
        elif kind == "duplicate":
            lines.insert(where, lines[where])
        elif kind == "swap":
            other = min(step[2], len(lines) - 1)
            lines[where], lines[other] = lines[other], lines[where]
        elif kind == "insert":
            lines.insert(min(step[1], len(lines)), step[2])
        elif kind == "append":
            lines[where] += step[2]
        elif kind == "cut":
            lines[where] = lines[where][:step[2]]
        elif kind == "truncate":
            lines = lines[:step[1]]
    return "\n".join(lines)


def parse_or_refuse(text: str):
    """The parsed plan, or None when refused with an InputError; anything else propagates and fails."""
    try:
        parsed = parse_plan(text, DIRECTORY, POLICY)
    except InputError as error:
        assert error.message
        return None
    json.loads(json_text(parsed))
    assert isinstance(yaml.safe_load(yaml_text(parsed, source="mutated.txt")), dict)
    return parsed


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=12))
def test_a_mutated_seed_plan_is_parsed_or_refused_with_an_input_error(steps):
    parse_or_refuse(mutate(SEED_LINES, steps))


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=6), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"]),
       st.lists(st.tuples(st.integers(0, 30000), st.integers(0, 255)), max_size=8))
def test_mutated_bytes_in_any_encoding_are_decoded_and_parsed_or_refused(steps, encoding, flips):
    raw = bytearray(mutate(SEED_LINES, steps).encode(encoding, errors="replace"))
    for position, value in flips:
        if raw:
            raw[position % len(raw)] = value
    try:
        text, warnings = decode_plan(bytes(raw))
    except InputError:
        return
    assert all(isinstance(w, str) for w in warnings)
    parse_or_refuse(text)


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(mutation, min_size=1, max_size=8), fmt=st.sampled_from(["yaml", "json"]))
def test_plan_parse_on_a_mutated_file_answers_with_a_plan_file_or_one_clear_error(cli, tmp_path, steps, fmt):
    path = tmp_path / "plan.txt"
    path.write_text(mutate(SEED_LINES, steps), encoding="utf-8")
    result = cli("plan", "parse", path, "--format", fmt)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert f"lỗi: {path}" in result.output  # Vietnamese: the default
    else:
        (json.loads if fmt == "json" else yaml.safe_load)(result.stdout)


@pytest.mark.parametrize("text", ["\x00", "   \n\t", "3.1.\n" * 50, "- \n+ \n" * 30, "KẾ HOẠCH\n" + "x" * 5000])
def test_degenerate_texts_are_parsed_or_refused_with_an_input_error(text):
    parse_or_refuse(text)
