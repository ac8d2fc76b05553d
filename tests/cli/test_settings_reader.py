"""The command line's settings reader (config.settings.read_settings, no pydantic-settings) reads the
environment as Settings (pydantic-settings) does: the same values for every setting, the same refusal
(field and message) for a bad one."""
import pytest
from pydantic import ValidationError

from config.settings import Settings, SettingFields, read_settings

# A spread of what people write: empty, blanks, words, numbers in and out of range, dates both ways,
# booleans, the Literal choices, paths, URLs. Each is tried in every setting.
SAMPLES = ["", "  ", "abc", "0", "1", "-5", "61", "30.5", "1e3", "10000000000000000000000", "2016-01-15",
           "15/01/2016", "1899-01-01", "9999-12-31", "true", "False", "yes", "off", "none", "ssl", "starttls",
           "+", "-", "vi", "en", "/tmp/dondoc data", "postgresql://u@h:5432/d", "Liên minh HTX <a@b.vn>"]


def outcome(read):
    """The settings' values, or the refusal as the CLI reports it (field, message, kind)."""
    try:
        return "ok", read().model_dump()
    except ValidationError as exc:
        return "refused", [(error["loc"], error["msg"], error["type"]) for error in exc.errors()]


def test_every_setting_is_read_by_both_readers():
    assert set(SettingFields.model_fields) == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(SettingFields.model_fields))
def test_each_setting_reads_the_same_through_both_readers(field, monkeypatch):
    for name in [name for name in __import__("os").environ if name.upper().startswith("DONDOC_")]:
        monkeypatch.delenv(name)
    refused = 0
    for value in SAMPLES:
        monkeypatch.setenv(f"DONDOC_{field.upper()}", value)
        fast, full = outcome(read_settings), outcome(Settings)
        assert fast == full, (field, value)
        refused += fast[0] == "refused"
    if field in ("smtp_port", "today", "production", "smtp_tls", "inbox_every_minutes"):
        assert refused, f"{field}: no sample was refused, so the refusals were not compared"


def test_no_variables_give_the_same_defaults(monkeypatch):
    for name in [name for name in __import__("os").environ if name.upper().startswith("DONDOC_")]:
        monkeypatch.delenv(name)
    assert outcome(read_settings) == outcome(Settings)
    assert outcome(read_settings)[0] == "ok"


def test_names_in_any_case_and_unknown_names_read_the_same(monkeypatch):
    monkeypatch.setenv("dondoc_smtp_port", "2525")
    monkeypatch.setenv("Dondoc_Web_Port", "8080")
    monkeypatch.setenv("DONDOC_NO_SUCH_SETTING", "x")
    fast, full = outcome(read_settings), outcome(Settings)
    assert fast == full
    assert fast[1]["smtp_port"] == 2525 and fast[1]["web_port"] == 8080


def test_a_bad_value_is_refused_naming_its_setting_on_the_command_line(monkeypatch, capsys, tmp_path):
    from config.settings import get_settings
    from dondoc.cli import main
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DONDOC_SMTP_PORT", "twenty-five")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main(["tasks"])
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: DONDOC_SMTP_PORT: Input should be a valid integer, unable to parse string as an integer")
