"""The command line as a newcomer meets it (issue 23): quick to start, one data folder found the same
way from anywhere, dates as people write them, help on every option, a health screen, and an empty
database that says what to do rather than showing zeros."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.paths import database_from_environment, default_data_dir
from config.settings import Settings
from tests.conftest import BUNDLED_PLAN, Cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("prefect", "sqlalchemy", "sqlmodel", "alembic", "pydantic", "models", "notifications", "flows", "fastapi")


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), **env))


def dondoc(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dondoc.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", **env))


def test_importing_the_command_line_loads_none_of_the_heavy_modules():
    done = run_python("import sys, dondoc.cli; print(sorted({m.split('.')[0] for m in sys.modules}))")
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_help_lists_every_command_without_importing_them_and_names_the_database():
    code = ("import sys\nfrom dondoc.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})))")
    done = run_python(code, COLUMNS="200", DONDOC_DATABASE_URL="postgresql://dondoc:s3cret@db.example:5432/dondoc")
    assert "LOADED []" in done.stdout, done.stdout[-300:]
    from dondoc.cli import COMMANDS
    for name in COMMANDS:
        assert f" {name} " in done.stdout
    assert "postgresql://dondoc:***@db.example:5432/dondoc" in done.stdout and "s3cret" not in done.stdout


def test_the_command_table_matches_the_commands_the_modules_register():
    import typer.main

    from dondoc.cli import COMMANDS, app, load_all
    load_all()
    group = typer.main.get_command(app)
    registered = set(group.commands)
    assert registered == set(COMMANDS), "update COMMANDS in dondoc/cli/__init__.py"
    for name, (_, summary) in COMMANDS.items():
        command = group.commands[name]
        first = (command.short_help or command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert summary == first, f"COMMANDS[{name!r}] differs from the command's own help: {first!r}"


def _every_command():
    import typer.main

    from dondoc.cli import app, load_all
    load_all()

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")
    yield from walk(typer.main.get_command(app), "dondoc")


def test_every_option_of_every_command_has_help_text():
    missing = [f"{path} {param.opts[0]}" for path, command in _every_command() for param in command.params
               if param.param_type_name == "option" and not (param.help or "").strip()]
    assert missing == []


def test_flags_are_shown_without_a_bool_type_in_help():
    done = dondoc("simulate", "--help")
    assert "--demo-agencies" in done.stdout and "<bool>" not in done.stdout


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def test_dates_are_read_as_dd_mm_yyyy_and_as_yyyy_mm_dd_alike(loaded, english):
    slashed = loaded.ok("overdue", "--today", "15/01/2016", "--format", "json").output
    assert slashed == loaded.ok("overdue", "--today", "2016-01-15", "--format", "json").output
    assert json.loads(slashed)


@pytest.mark.parametrize("value", ["15-01-2016", "31/02/2016", "15/01/16", "tomorrow"])
def test_a_date_in_another_form_is_one_line_naming_both_forms(tmp_path, value):
    done = dondoc("tasks", "--today", value, DONDOC_DATA_DIR=str(tmp_path / "var"), DONDOC_LANGUAGE="en")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"error: Invalid value for '--today': '{value}' is not a date: write it as dd/mm/yyyy "
                           "(15/01/2016) or yyyy-mm-dd (2016-01-15) (see dondoc tasks --help)\n")
    assert not (tmp_path / "var").exists()


def test_messages_are_vietnamese_unless_dondoc_language_says_english(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DONDOC_LANGUAGE"}
    done = subprocess.run([sys.executable, "-m", "dondoc.cli", "tasks", "--today", "hôm qua"], cwd=ROOT, text=True,
                          capture_output=True, env=dict(env, PYTHONPATH=str(ROOT), DONDOC_DATA_DIR=str(tmp_path)))
    assert "'hôm qua' không phải ngày: viết dd/mm/yyyy (15/01/2016) hoặc yyyy-mm-dd (2016-01-15)" in done.stderr


def test_the_data_folder_is_the_users_unless_dondoc_data_dir_says_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("DONDOC_DATA_DIR", raising=False)
    monkeypatch.delenv("DONDOC_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert Settings().data_dir == default_data_dir() == tmp_path / "share" / "dondoc"
    assert database_from_environment() == f"sqlite:///{(tmp_path / 'share' / 'dondoc' / 'dondoc.db').as_posix()}"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert Settings().data_dir == Path.home() / ".local" / "share" / "dondoc"
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings().resolved_database_url == f"sqlite:///{(tmp_path / 'elsewhere' / 'dondoc.db').as_posix()}"


def test_a_heroku_style_postgres_url_is_read_as_postgresql():
    settings = Settings(database_url="postgres://u:p@db.example:5432/dondoc")
    assert settings.resolved_database_url == "postgresql://u:p@db.example:5432/dondoc"


def test_the_demo_refuses_a_data_folder_holding_a_database_it_did_not_make(loaded, settings, english):
    folder_settings = settings.model_copy(update={"database_url": ""})
    Cli(folder_settings).ok("plan", "load", BUNDLED_PLAN)  # a real installation's database in the data folder
    result = Cli(folder_settings)("demo", "--no-serve")
    assert result.exit_code == 2
    assert "holds a database the demo did not make" in result.output
    assert (settings.data_dir / "dondoc.db").exists()


def test_an_empty_database_says_no_plan_is_loaded_rather_than_showing_zeros(cli, english):
    for command in (["tasks"], ["overdue"], ["status"]):
        result = cli(*command)
        assert result.exit_code == 1
        assert "no plan loaded: run dondoc plan load" in result.output


def test_status_shows_the_database_its_plans_the_outbox_and_the_scheduler(loaded, settings, english):
    output = loaded.ok("status").output
    assert "Database: " in output and "Data folder: " in output
    assert "BK-KTTT-2015-2020: 147 tasks" in output
    assert "Last job runs:" in output and "Outbox: 0 sent, 0 waiting, 0 failed" in output
    assert "Scheduler: not running (start it with dondoc serve)" in output


def test_remind_with_nothing_to_send_runs_no_flow_and_does_not_import_prefect(loaded, settings):
    env = dict(DONDOC_DATABASE_URL=settings.resolved_database_url, DONDOC_DATA_DIR=str(settings.data_dir),
               DONDOC_LANGUAGE="en")
    code = ("import sys\nfrom dondoc.cli import main\nfor day in ({days}):\n    try:\n        main(['remind', '--today', day])\n"
            "    except SystemExit as exit:\n        print('EXIT', exit.code)\nprint('PREFECT', 'prefect' in sys.modules)")
    done = run_python(code.format(days="'03/01/2015',"), **env)  # a Saturday: no digest, nothing queued
    assert "EXIT 0" in done.stdout and "PREFECT False" in done.stdout, done.stdout + done.stderr
    assert "03/01/2015: nothing to send now" in done.stdout


def test_a_mistyped_command_is_one_line_with_the_closest_command(tmp_path):
    done = dondoc("taks", DONDOC_DATA_DIR=str(tmp_path), DONDOC_LANGUAGE="en")
    assert done.returncode == 2
    assert done.stderr == "error: No such command 'taks' (did you mean tasks?). (see dondoc --help)\n"


def test_codes_and_refs_are_found_in_any_case_and_a_wrong_one_gets_a_suggestion(loaded, english):
    assert loaded.ok("overdue", "--today", "15/01/2016", "--agency", "pac-nam", "--format", "json").output == \
        loaded.ok("overdue", "--today", "15/01/2016", "--agency", "PAC-NAM", "--format", "json").output
    assert "3.3-a/BA-BE" in loaded.ok("task", "show", "3.3-A/ba-be").output
    wrong = loaded("overdue", "--agency", "PACNAM")
    assert wrong.exit_code == 2 and "no agency with code PACNAM (did you mean PAC-NAM?)" in wrong.output
    assert "(did you mean 3.3-e/BA-BE?)" in loaded("task", "show", "3.3-x/BA-BE").output


def test_a_mistyped_email_in_the_directory_file_is_named_without_a_regular_expression(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English refusal is the one checked here
    directory = tmp_path / "agencies.yaml"
    directory.write_text("agencies:\n  - code: SKHDT\n    name_vi: Sở Kế hoạch và Đầu tư\n    name_en: Planning\n"
                         "    kind: department\n    focal_points:\n      - name: Nguyễn Văn A\n        email: a@@example\n",
                         encoding="utf-8")
    result = cli("agencies", "import", directory)
    assert result.exit_code == 2
    assert "focal_points.0.email: 'a@@example' is not an email address (name@example.org)" in result.output
    assert "pattern" not in result.output and "^[" not in result.output
