"""The command line speaks DONDOC_LANGUAGE (issue 23): in Vietnamese (the default) no stored English
word (an outbox status or kind, a status category, a timing, an agency's kind) nor English heading shows;
in English no Vietnamese label, heading or title does (the plan's own text, names and subjects stay
Vietnamese: they are data)."""
import re
import unicodedata
from datetime import date

import pytest

from dondoc.labels import LABELS
from models.status import GLOSSARY
from tests.conftest import at_vn
from tests.outbox_support import fill_outbox

# The outputs people read: (arguments, whether the output is one table whose first line is its title
# and third its headings).
COMMANDS = [
    (["tasks", "--today", "15/01/2016"], True),
    (["overdue", "--today", "15/01/2016"], True),
    (["task", "show", "3.3-a/BA-BE", "--today", "15/01/2016"], False),
    (["agencies", "list"], True),
    (["outbox"], True),
    (["remind", "--today", "16/01/2016"], False),
    (["status"], False),
]
# Stored words and English labels that must not reach a Vietnamese screen (as whole words).
ENGLISH = sorted({value for group in LABELS.values() for value in group} | {en for _, en in
                  (pair for group in LABELS.values() for pair in group.values())}
                 | {term.en for term in GLOSSARY.values()} | set(GLOSSARY)
                 | {"Tasks", "Task", "Due", "Status", "Agencies", "Outbox", "Subject", "nothing to send", "Database",
                    "Plans", "Scheduler", "Periods", "History"}, key=len, reverse=True)
# Labels no plan text contains (a task's title may well say "một lần" or "thường xuyên": data stays).
VIETNAMESE_LABELS = sorted({vi for name in ("status", "kind") for vi, _ in LABELS[name].values()}
                           | {term.vi for term in GLOSSARY.values()}, key=len, reverse=True)
# The lists as CSV: (arguments, the columns that hold labels).
LABEL_COLUMNS = [
    (["tasks", "--today", "15/01/2016", "--format", "csv"], ["Timing", "Period status", "Duty status"]),
    (["agencies", "list", "--format", "csv"], ["Kind"]),
    (["outbox", "--format", "csv"], ["Kind", "Status"]),
]


def vietnamese_letters(text: str) -> list[str]:
    """The letters of `text` only Vietnamese writes (đ, or a letter with a diacritic)."""
    return [ch for ch in text if ch in "đĐ" or (ch.isalpha() and unicodedata.normalize("NFD", ch) != ch)]


@pytest.fixture
def outputs(loaded, engine, monkeypatch):
    fill_outbox(engine, 3, now=at_vn(date(2016, 1, 15)))  # queued daily reminders: a status and a kind to show

    def run(language: str) -> dict[str, str]:
        monkeypatch.setenv("DONDOC_LANGUAGE", language)
        return {" ".join(args): (loaded(*args), table) for args, table in COMMANDS}
    return run


def test_in_vietnamese_no_stored_english_word_or_english_heading_is_shown(outputs):
    for command, (result, _) in outputs("vi").items():
        assert result.exit_code in (0, 1), command + result.output  # remind: 1 when messages wait
        for word in ENGLISH:
            if len(word) > 2:
                assert not re.search(rf"(?<![\w./@-]){re.escape(word)}(?![\w@-])", result.output), (command, word)


def test_in_english_no_vietnamese_label_heading_or_title_is_shown(outputs):
    for command, (result, table) in outputs("en").items():
        lines = result.output.splitlines()
        for label in VIETNAMESE_LABELS:
            assert label not in result.output, (command, label)
        if table:
            assert vietnamese_letters(lines[0]) == [], (command, lines[0])  # the title
            assert vietnamese_letters(lines[2]) == [], (command, lines[2])  # the headings
    remind = outputs("en")["remind --today 16/01/2016"][0].output
    assert "nothing to send now" in remind and vietnamese_letters(remind) == []


def test_the_same_list_in_each_language_differs_only_in_its_words(outputs):
    vi, en = outputs("vi"), outputs("en")
    for command in ("tasks --today 15/01/2016", "overdue --today 15/01/2016"):
        assert len(vi[command][0].output.splitlines()) > 3
        refs = lambda output: re.findall(r"^(\S+/\S+)", output, re.M)  # noqa: E731
        assert refs(vi[command][0].output) == refs(en[command][0].output)
    assert "chờ gửi" in vi["outbox"][0].output and "nhắc việc hằng ngày" in vi["outbox"][0].output
    assert "queued" in en["outbox"][0].output and "daily reminder" in en["outbox"][0].output


def test_in_english_the_lists_headings_and_labelled_columns_have_no_vietnamese(loaded, engine, monkeypatch):
    import csv
    import io

    fill_outbox(engine, 3, now=at_vn(date(2016, 1, 15)))
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")
    for args, columns in LABEL_COLUMNS:
        rows = list(csv.DictReader(io.StringIO(loaded.ok(*args).output)))
        assert rows, args
        assert vietnamese_letters("".join(rows[0])) == [], (args, list(rows[0]))
        for row in rows:
            for column in columns:
                assert vietnamese_letters(row[column]) == [], (args, column, row[column])


# Refusals a user most meets: (arguments, what the Vietnamese says, what the English says).
DATE_REFUSALS = [
    (["tasks", "--today", "15-01-2016"], "lỗi: giá trị không hợp lệ cho '--today': '15-01-2016' không phải ngày: viết dd/mm/yyyy "
     "(15/01/2016) hoặc yyyy-mm-dd (2016-01-15) (xem dondoc tasks --help)",
     "error: Invalid value for '--today': '15-01-2016' is not a date: write it as dd/mm/yyyy (15/01/2016) or yyyy-mm-dd "
     "(2016-01-15) (see dondoc tasks --help)"),
    (["overdue", "--today", "01/01/1800"], "lỗi: giá trị không hợp lệ cho '--today': 01/01/1800 nằm ngoài khoảng ngày dondoc "
     "làm việc (01/01/1900 đến 31/12/2199) (xem dondoc overdue --help)",
     "error: Invalid value for '--today': 01/01/1800 is outside the dates dondoc works with (01/01/1900 to 31/12/2199) "
     "(see dondoc overdue --help)"),
]
REFUSALS = [
    (["task", "show", "3.3-a/BA-BX"], "ref: không có nhiệm vụ nào mã 3.3-a/BA-BX (có phải 3.3-a/BA-BE?)",
     "ref: no task with ref 3.3-a/BA-BX (did you mean 3.3-a/BA-BE?)"),
    (["overdue", "--agency", "SKHDX", "--today", "15/01/2016"], "--agency: không có cơ quan nào mã SKHDX (có phải SKHDT?)",
     "--agency: no agency with code SKHDX (did you mean SKHDT?)"),
    (["task", "done", "3.3-a/BA-BX", "--on", "15/01/2016", "--today", "15/01/2016"], "ref: không có nhiệm vụ nào mã 3.3-a/BA-BX",
     "ref: no task with ref 3.3-a/BA-BX"),
    (["plan", "load", "/nowhere/plan.yaml"], "/nowhere/plan.yaml: không đọc được tệp (không có tệp hay thư mục này)",
     "/nowhere/plan.yaml: cannot read the file (No such file or directory)"),
]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_date_dondoc_cannot_read_is_refused_in_the_clis_language_by_the_installed_command(tmp_path, language):
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    for args, vi, en in DATE_REFUSALS:
        done = subprocess.run([sys.executable, "-m", "dondoc.cli", *args], cwd=root, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(root), DONDOC_DATA_DIR=str(tmp_path),
                                       DONDOC_LANGUAGE=language))
        assert done.returncode == 2 and done.stderr == (vi if language == "vi" else en) + "\n", done.stderr


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_refusals_a_user_most_meets_are_in_the_clis_language(loaded, monkeypatch, language):
    monkeypatch.setenv("DONDOC_LANGUAGE", language)
    for args, vi, en in REFUSALS:
        result = loaded(*args)
        assert result.exit_code != 0, (args, result.output)
        said = result.output.strip()
        assert len(said.splitlines()) == 1 and "Traceback" not in said, (args, said)
        assert said.startswith("lỗi: " if language == "vi" else "error: "), (args, said)
        assert (vi if language == "vi" else en) in said, (args, said)
        if language == "en":
            assert vietnamese_letters(said) == [], (args, said)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_plan_file_refused_names_its_line_and_field_in_the_clis_language(cli, tmp_path, monkeypatch, language):
    from tests.conftest import BUNDLED_PLAN
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace("  lead: SKHDT\n", "  lead: NOWHERE\n", 1), encoding="utf-8")
    line = text[:text.index("  lead: SKHDT\n")].count("\n") + 1
    monkeypatch.setenv("DONDOC_LANGUAGE", language)
    result = cli("plan", "load", path)
    assert result.exit_code == 2, result.output
    where = f"{path}:{line}: task "
    if language == "vi":
        assert result.output.startswith(f"lỗi: {where}") and result.output.rstrip().endswith(
            ": lead: không có cơ quan nào mã NOWHERE trong danh bạ cơ quan"), result.output
    else:
        assert result.output.startswith(f"error: {where}") and result.output.rstrip().endswith(
            ": lead: unknown agency code NOWHERE (not in the agency directory)"), result.output


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_tasks_history_shows_its_moments_as_dd_mm_yyyy_hh_mm_in_vietnam_time(loaded, monkeypatch, language):
    import json
    monkeypatch.setenv("DONDOC_LANGUAGE", language)
    loaded.ok("task", "progress", "3.3-a/BA-BE", "--percent", "40", "--today", "15/01/2016")
    shown = loaded.ok("task", "show", "3.3-a/BA-BE", "--today", "15/01/2016").output
    history = shown[shown.index("Lịch sử" if language == "vi" else "History"):]
    assert re.search(r"^15/01/2016 08:00 ", history, re.M), history  # recorded at 08:00 in Vietnam
    assert not re.search(r"\d{4}-\d\d-\d\d", shown), shown  # no ISO date or time anywhere people read
    csv_rows = loaded.ok("task", "show", "3.3-a/BA-BE", "--today", "15/01/2016", "--format", "csv").output
    assert "15/01/2016 08:00" in csv_rows and not re.search(r"\d{4}-\d\d-\d\dT", csv_rows), csv_rows
    # JSON is for programs: the moment in ISO 8601 with its offset, 08:00 in Vietnam.
    changes = json.loads(loaded.ok("task", "show", "3.3-a/BA-BE", "--today", "15/01/2016", "--format", "json").output)
    moments = [c["at"] for c in changes["history"] if c["field"] == "progress_percent"]
    assert moments and moments[-1] == "2016-01-15T08:00:00+07:00", moments
