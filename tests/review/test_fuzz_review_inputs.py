"""Property-based fuzzing of the review submissions: JSON, YAML and XLSX files (`dondoc review
submit`) and the web form (POST /review/{token} with a valid CSRF token), with values of every type a
file or a spreadsheet cell can hold. Each is accepted, or refused with messages naming fields (and
the file), never a traceback or a 5xx, the database exactly as it was. Deterministic."""
import json
import math
import re
from datetime import date, datetime, time

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, event, given, settings, strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dondoc.documents.review_template import INDICATOR_SHEET, INFO_SHEET, TASK_COLUMNS, TASK_SHEET
from dondoc.web import create_app
from models.clock import FixedClock
from models.db import transaction
from models.review.rules import INDICATORS
from models.review.operations import find_plan, form_for, get_cycle, request_of
from tests.abuse_support import DURING, Snapshot, open_review, review_token
from tests.conftest import at_vn

# No shrinking: each example runs the whole command, and a failure shows its inputs as generated.
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
AGENCIES = ("SKHDT", "BA-BE")  # a department; a district, which also reports the indicators
CODES = [i.code for i in INDICATORS]

texts = st.text(max_size=40) | st.sampled_from(["", " ", "<script>alert(1)</script>", "=1+1", "@SUM(A1)", "x" * 4001,
                                                "a\x00b", "\x1b[31m", "đã\u0301 xong", "🙂", "\r\n", "NaN", "1e400"])
clean_texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
cells = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-10 ** 30, 10 ** 30), st.floats(), texts,
                  st.dates(), st.datetimes(), st.sampled_from([math.inf, -math.inf, 10 ** 400 // 10 ** 380, 2 ** 63]))
statuses = st.sampled_from(["done", "in_progress", "not_started", "Hoàn thành", "Đang thực hiện", "Chưa thực hiện",
                            "DONE ", "xong", ""]) | cells
progress = st.integers(-5, 105).map(str) | st.integers(-5, 105) | cells
days = st.sampled_from(["2015-06-30", "30/06/2015", "31/12/2015", "2015-12-31", "2015-11-05", "2016-01-01", "31/02/2015",
                        "2015-13-01", "1/1/1", "", "00/00/0000"]) | cells


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """The refusals checked here are the English ones (DONDOC_LANGUAGE=vi, the default, is tests/cli/test_cli_language.py's)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")



@pytest.fixture
def review(loaded, app_context):
    """The 2015 review open, what SKHDT and BA-BE are asked, and a digest of the database."""
    open_review(app_context)
    asked = {}
    with transaction(app_context.engine) as session:
        cycle = get_cycle(session, find_plan(session, None), 2015)
        for code in AGENCIES:
            lines = form_for(session, request_of(session, cycle, code), at_vn(DURING)).lines
            asked[code] = [(line.ref, line.due) for line in lines]
    return app_context, asked, Snapshot(app_context.engine)


def valid_indicators():
    """Counts that hold together: totals of 50 to 100, every part of them at most 10."""
    totals = {"cooperatives_total", "officers_total"}
    return st.fixed_dictionaries({code: st.integers(50, 100) if code in totals else st.integers(0, 10) for code in CODES})


@st.composite
def raw_inputs(draw, asked: dict):
    code = draw(st.sampled_from(AGENCIES))
    lines = asked[code]
    task = st.fixed_dictionaries({}, optional={
        "ref": st.sampled_from([ref for ref, _ in lines] + ["3.1.1-a", "NOPE", ""]) | cells,
        "due": st.sampled_from([due.isoformat() for _, due in lines] + [f"{due:%d/%m/%Y}" for _, due in lines]) | days,
        "status": statuses, "completed_on": days, "progress": progress,
        "result": texts | cells, "difficulties": texts, "proposals": texts | cells,
        "title": texts, "current_status": texts, "surprise": cells})
    valid_task = st.sampled_from(lines).flatmap(lambda line: st.fixed_dictionaries({
        "ref": st.just(line[0]), "due": st.just(f"{line[1]:%d/%m/%Y}"), "status": st.just("in_progress"),
        "progress": st.integers(0, 100), "result": clean_texts, "difficulties": clean_texts}))
    task = valid_task | task
    indicators = st.dictionaries(st.sampled_from(CODES + ["bogus", ""]), st.integers(-3, 2000) | cells, max_size=12)
    indicators = valid_indicators() | indicators
    raw = draw(st.fixed_dictionaries({}, optional={
        "tasks": st.lists(task, max_size=4) | cells, "indicators": indicators | cells, "notes": texts | cells,
        "agency": st.sampled_from([code, "STC", "", None]) | cells, "year": st.sampled_from([2015, "2015", 2016]) | cells,
        "extra": cells}))
    top = draw(st.sampled_from(["mapping"] * 6 + ["valid"] * 3 + ["list", "scalar"]))
    if top == "valid":  # what a careful agency sends, its texts still fuzzed
        raw = {"tasks": draw(st.lists(valid_task, min_size=1, max_size=3, unique_by=lambda t: (t["ref"], t["due"]))),
               "notes": draw(clean_texts)}
        if code == "BA-BE":
            raw["indicators"] = draw(valid_indicators())
    return code, raw if top in ("mapping", "valid") else ([raw] if top == "list" else draw(cells))


def as_json(raw) -> str:
    return json.dumps(raw, default=str, ensure_ascii=False)


def as_yaml(raw) -> str:
    def plain(value):  # YAML has no NaN-free float rule we need: keep what safe_dump can say
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value
    return yaml.safe_dump(plain(raw), allow_unicode=True)


def cell(value):
    """What openpyxl can store in a cell: control characters and huge numbers do not fit a workbook."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53:
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    if isinstance(value, datetime) and value.year < 1900 or isinstance(value, date) and value.year < 1900:
        return value.isoformat()
    return value


def as_workbook(raw, code: str, path, headings_kept: bool):
    book = Workbook()
    info = book.active
    info.title = INFO_SHEET
    data = raw if isinstance(raw, dict) else {}
    for label, key in (("Mã đơn vị", "agency"), ("Năm", "year"), ("Ý kiến khác", "notes")):
        info.append([label, cell(data.get(key, code if key == "agency" else None))])
    sheet = book.create_sheet(TASK_SHEET)
    headings = [heading for _, heading, _ in TASK_COLUMNS]
    sheet.append(headings if headings_kept else headings[1:] + ["Cột lạ"])
    tasks = data.get("tasks") if isinstance(data.get("tasks"), list) else []
    for entry in tasks:
        entry = entry if isinstance(entry, dict) else {}
        sheet.append([cell(entry.get(key)) for key, _, _ in TASK_COLUMNS])
    if isinstance(data.get("indicators"), dict):
        indicators = book.create_sheet(INDICATOR_SHEET)
        indicators.append(["Mã chỉ tiêu", "Chỉ tiêu", "Số lượng"])
        for key, value in data["indicators"].items():
            indicators.append([cell(key), "", cell(value)])
    book.save(path)


def submit_and_check(cli, snapshot, code, path):
    before = snapshot()
    result = cli("review", "submit", "2015", "--agency", code, "--file", path, "--today", DURING.isoformat())
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.output}{result.exception!r}"
    assert "Traceback" not in result.output
    event("accepted" if result.exit_code == 0 else "refused")
    if result.exit_code == 0:
        assert "recorded" in result.output
        return
    assert result.output.startswith(f"error: {path}"), result.output
    assert snapshot() == before, "a refused submission changed the database"


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["json", "yaml"]))
def test_a_json_or_yaml_submission_is_accepted_or_refused_naming_fields_with_nothing_written(review, tmp_path, loaded,
                                                                                          data, fmt):
    _, asked, snapshot = review
    code, raw = data.draw(raw_inputs(asked))
    path = tmp_path / f"inputs.{fmt}"
    path.write_text(as_json(raw) if fmt == "json" else as_yaml(raw), encoding="utf-8")
    submit_and_check(loaded, snapshot, code, path)


@settings(FUZZ, max_examples=20)
@given(data=st.data(), headings_kept=st.booleans() | st.just(True))
def test_an_xlsx_submission_with_cells_of_any_type_is_accepted_or_refused_with_nothing_written(review, tmp_path, loaded,
                                                                                            data, headings_kept):
    _, asked, snapshot = review
    code, raw = data.draw(raw_inputs(asked))
    path = tmp_path / "inputs.xlsx"
    as_workbook(raw, code, path, headings_kept)
    submit_and_check(loaded, snapshot, code, path)


@settings(FUZZ, max_examples=25)
@given(fields=st.dictionaries(
    st.sampled_from(["task_count", "notes"] + [f"task-{i}-{k}" for i in range(3) for k in
                                               ("ref", "due", "status", "completed_on", "progress", "result",
                                                "difficulties", "proposals")] + [f"ind-{c}" for c in CODES[:4]]),
    st.text(max_size=30) | st.sampled_from(["1", "2", "99999999999", "done", "in_progress", "30/06/2015", "-1",
                                            "²", "100", "<script>alert(1)</script>"]), max_size=6),
       filled=st.booleans(), counts=valid_indicators())
def test_the_web_review_form_with_any_fields_answers_4xx_or_saves_never_5xx(review, fields, filled, counts):
    context, _, snapshot = review
    app = create_app(context)
    app.state.clock = FixedClock(at_vn(DURING, 9))
    token = review_token(context, "BA-BE", now=app.state.clock.now())
    client = TestClient(app)
    page = client.get(f"/review/{token}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # The form as the page gives it, first line reported, indicators filled in; then the fuzzed fields.
    shown = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)) if filled else {}
    if filled:
        shown.update({"task-0-status": "in_progress", "task-0-progress": "40"})
        shown.update({f"ind-{code}": str(count) for code, count in counts.items()})
    before = snapshot()
    response = client.post(f"/review/{token}", data={**shown, **fields, "csrf_token": csrf})
    assert response.status_code in (200, 409, 422), response.status_code
    event(f"answered {response.status_code}")
    if response.status_code != 200:
        assert snapshot() == before
