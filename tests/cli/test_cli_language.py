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
