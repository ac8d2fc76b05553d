"""The plain table's measure of text on screen (dondoc.cli.output.text_width)."""
import unicodedata

from dondoc.cli.output import ONE_COLUMN, text_width


def full_rule(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_every_character_the_short_cut_measures_by_length_is_one_column_by_the_full_rule():
    one_column = [chr(code) for code in range(0x110000) if ONE_COLUMN.fullmatch(chr(code))]
    assert len(one_column) == 0x300 + 0x100 + 0x18
    assert [ch for ch in one_column if full_rule(ch) != 1] == []


def test_text_width_counts_diacritics_wide_characters_and_combining_marks_as_the_screen_shows_them():
    for text in ["", "Sở Kế hoạch và Đầu tư", "Nhiệm vụ — “quá hạn”", "3.3-a/BA-BE", "漢字 ok", "Nghe\u0323 An",
                 "e\u0301", "ｆｕｌｌ", "a\tb", "Tình trạng • kỳ…"]:
        assert text_width(text) == full_rule(text), text
    assert text_width("Đầu tư") == 6 and text_width("漢字") == 4 and text_width("e\u0301") == 1


def test_wrap_gives_a_line_that_fits_as_it_is_and_breaks_the_rest_at_spaces():
    from dondoc.cli.output import wrap
    assert wrap("Sở Kế hoạch và Đầu tư", 30) == ["Sở Kế hoạch và Đầu tư"]
    assert wrap("  two leading", 30) == ["two leading"]  # as before the short cut: leading spaces dropped
    assert wrap("a  b ", 30) == ["a  b "]
    assert wrap("Sở Kế hoạch và Đầu tư", 10) == ["Sở Kế", "hoạch và", "Đầu tư"]
    assert wrap("one\ntwo", 30) == ["one", "two"]


def test_a_task_row_as_a_dict_is_what_asdict_gives():
    from dataclasses import asdict
    from datetime import date

    from models.queries import TaskRow
    row = TaskRow("3.3-a/BA-BE", "3", "Nhiệm vụ", "SKHDT", "Sở Kế hoạch và Đầu tư", ["SNN", "STC"], "quarterly",
                  date(2016, 3, 31), "FREQ=MONTHLY", date(2016, 3, 31), "open_in_time", "open_in_time", "BK-1")
    assert row.as_dict() == asdict(row) and list(row.as_dict()) == list(asdict(row))
    assert row.as_dict()["coordinating"] is not row.coordinating
