"""Values on the command line and in the settings that once gave tracebacks (issue 26): each is
now one line on stderr, a non-zero exit, and nothing written."""
import pytest

from config.errors import InputError
from config.settings import Settings, checked_database_url, get_settings
from dondoc.cli import main
from tests.abuse_support import snapshot
from tests.conftest import ON_POSTGRES, PG_URL, Cli


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def one_line(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def run_main(argv, capsys, monkeypatch, tmp_path, **env) -> tuple[int, list[str]]:
    """`dondoc ...` as the installed command runs it (dondoc.cli.main), with these DONDOC_* variables."""
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(f"DONDOC_{name.upper()}", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main(argv)
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    return exited.value.code, captured.err.strip().splitlines()


def test_outbox_with_a_limit_of_ten_to_the_thirty_is_one_line(loaded):
    line = one_line(loaded("outbox", "--limit", str(10 ** 30)))
    assert line == f"error: --limit: {10 ** 30} is not between 1 and 100000"


@pytest.mark.parametrize("argv", [["remind", "--dry-run", "--today", "9999-12-31"],
                                  ["simulate", "--from", "2015-01-01", "--to", "9999-12-31"],
                                  ["tasks", "--today", "0001-01-01"]])
def test_a_date_outside_the_calendar_is_one_line_from_the_installed_command(argv, capsys, monkeypatch, tmp_path):
    code, lines = run_main(argv, capsys, monkeypatch, tmp_path)
    assert code == 2 and len(lines) == 1, lines
    assert "is outside the dates dondoc works with (01/01/1900 to 31/12/2199)" in lines[0]
    assert not (tmp_path / "var").exists()  # nothing written, not even a database


def test_a_dondoc_today_outside_the_calendar_is_one_line(capsys, monkeypatch, tmp_path):
    code, lines = run_main(["tasks"], capsys, monkeypatch, tmp_path, today="9999-12-31")
    assert code == 2 and lines == ["error: DONDOC_TODAY: 9999-12-31 is outside 1900-01-01 to 2199-12-31"]


def test_an_unknown_option_is_one_line_too(capsys, monkeypatch, tmp_path):
    code, lines = run_main(["remind", "--bogus"], capsys, monkeypatch, tmp_path)
    assert code == 2 and lines == ["error: No such option: --bogus (see dondoc remind --help)"]


@pytest.mark.parametrize("url, words", [
    ("mysql://root@127.0.0.1/dondoc", "mysql:// is not supported"),
    ("postgresql://u@h:abc/db", "is not a database URL"),
    ("not a url at all", "is not a database URL"),
    ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg:// is not supported"),
    ("postgresql://u:secret@h:99999/db", "the port 99999 is not a port number"),
])
def test_a_database_url_dondoc_cannot_use_is_one_line_that_does_not_repeat_it(tmp_path, url, words):
    cli = Cli(Settings(data_dir=tmp_path / "var", database_url=url, actor="test"))
    line = one_line(cli("tasks"))
    assert line.startswith("error: DONDOC_DATABASE_URL: ") and words in line
    assert "secret" not in line
    assert not (tmp_path / "var").exists()


def test_a_postgres_url_is_read_as_postgresql():
    assert checked_database_url("postgres://dondoc:pw@db:5432/bac_kan") == "postgresql://dondoc:pw@db:5432/bac_kan"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set DONDOC_DATABASE_URL=postgresql://...")
def test_a_postgres_url_works_like_a_postgresql_one(tmp_path, database_url):
    cli = Cli(Settings(data_dir=tmp_path / "var", database_url=database_url.replace("postgresql://", "postgres://", 1),
                       actor="test"))
    result = cli("tasks")  # the database answers: it has no plan yet, and says so naming it as postgresql://
    assert result.exit_code == 1 and ("no plan loaded" in result.output or "chưa nạp kế hoạch nào" in result.output)
    assert "[postgresql://" in result.output and PG_URL


def test_a_data_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    cli = Cli(Settings(data_dir=blocker / "var", database_url="", actor="test"))
    line = one_line(cli("tasks"), code=1)
    assert str(blocker / "var") in line and "Not a directory" in line


@pytest.fixture
def compiled(loaded, app_context):
    from tests.abuse_support import open_review
    open_review(app_context)
    return loaded


def test_review_report_to_a_folder_that_cannot_be_written_is_refused_before_compiling(compiled, app_context, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    out = blocker / "bao-cao.docx"
    before = snapshot(app_context.engine)
    line = one_line(compiled("review", "report", "2015", "--out", out, "--today", "2015-12-15"))
    assert line == f"error: {out}: --out: cannot be written (File exists)"
    assert snapshot(app_context.engine) == before


def test_review_template_to_a_folder_that_cannot_be_written_is_one_line(compiled, tmp_path):
    out = tmp_path / "blocker.txt" / "mau.xlsx"
    (tmp_path / "blocker.txt").write_text("x")
    line = one_line(compiled("review", "template", "2015", "--agency", "STC", "--out", out, "--today", "2015-11-10"))
    assert "cannot be written (File exists)" in line


def test_the_report_writer_turns_a_failed_write_into_an_input_error(tmp_path):
    from dondoc.documents.files import write_atomically as _atomic
    (tmp_path / "full").write_text("x")

    def fails(_path):
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="cannot be written \\(No space left on device\\)"):
        _atomic(tmp_path / "out.md", fails)
    assert not (tmp_path / "out.md").exists()
