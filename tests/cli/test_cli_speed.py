"""What keeps the command line quick (issue 23; the times themselves are bench/cli.py's): the read
commands never import SQLModel, the table classes, rich or Prefect; `remind` with nothing to send imports
neither Prefect nor the email and template libraries, nor SQLModel and the table classes (it sweeps the
day on the plain tables), and still reports what waits; `status` loads neither the table classes nor
Babel; the plain tables they read, and the conditions written on them, stay equal to the table classes';
the plain-text table lines up Vietnamese text."""
import json
import os
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a read command must not load: SQLModel and our table classes (~0.7 s together), rich's table
# (~0.4 s), Prefect; the email library and Jinja (~0.4 s) are for messages actually built, Babel (~0.1 s)
# for numbers actually written.
NOT_FOR_READS = ("sqlmodel", "rich", "prefect", "models.plan", "models.agency", "models.occurrence", "models.outbox")
NOT_FOR_NOTHING_TO_SEND = ("prefect", "rich", "emails", "dkim", "jinja2", "flows", "babel")
# What `remind` with nothing to send and `status` must not load either since they read the plain tables
# (SQLModel and the table classes ~0.5 s, the ORM ~0.1 s; the dispatcher and the transports).
TABLE_CLASSES = ("sqlmodel", "sqlalchemy.orm", "models.plan", "models.agency", "models.occurrence", "models.outbox",
                 "models.scheduler", "models.directory", "notifications.dispatch", "notifications.transports")

READS = [
    ["tasks", "--today", "15/01/2016"],
    ["overdue", "--today", "15/01/2016"],
    ["overdue", "--today", "15/01/2016", "--agency", "skhdt"],
    ["task", "show", "3.3-a/BA-BE", "--today", "15/01/2016"],
    ["agencies", "list"],
]


def modules_after(settings, *args: str, exit_code: int = 0) -> tuple[set[str], str]:
    """The modules a real `dondoc ARGS` process has loaded when it ends, and what it printed (stdout and
    stderr: the lines of `error: ...` too)."""
    code = ("import sys\nfrom dondoc.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exit:\n"
            "    print('EXIT', exit.code)\nprint('MODULES', sorted(sys.modules))")
    env = dict(os.environ, DONDOC_DATABASE_URL=settings.resolved_database_url, DONDOC_DATA_DIR=str(settings.data_dir),
               DONDOC_LANGUAGE="en", PYTHONPATH=str(ROOT))
    env.pop("DONDOC_TODAY", None)
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert f"EXIT {exit_code}" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    printed, listed = done.stdout.rsplit("MODULES ", 1)
    return set(json.loads(listed.replace("'", '"'))), printed + done.stderr


def loaded_among(modules: set[str], names) -> list[str]:
    return sorted(name for name in names if name in modules or any(m.startswith(name + ".") for m in modules))


@pytest.mark.parametrize("args", READS, ids=lambda args: " ".join(args[:2]))
def test_a_read_command_loads_neither_sqlmodel_nor_the_table_classes_nor_rich(loaded, settings, args):
    modules, printed = modules_after(settings, *args)
    assert loaded_among(modules, NOT_FOR_READS) == []
    assert "models.core" in modules  # it did read the database, through the plain tables
    assert len(printed.splitlines()) > 5


def test_remind_with_nothing_to_send_loads_no_prefect_nor_the_email_and_template_libraries(loaded, settings):
    modules, printed = modules_after(settings, "remind", "--today", "03/01/2015")  # a Saturday: nothing to do
    assert "03/01/2015: nothing to send now" in printed
    assert loaded_among(modules, NOT_FOR_NOTHING_TO_SEND + TABLE_CLASSES) == []


def test_remind_on_a_working_day_already_run_loads_no_table_class_and_still_reports_the_retries_waiting(loaded, settings):
    """The fast path on a day whose digests are queued and whose retries are not due yet: it swept the
    day (on the plain tables) to know, and still says what waits and exits 1 (cron must see it)."""
    from dondoc.app import jobs
    from dondoc.app.context import AppContext
    from models.clock import FixedClock
    from tests.conftest import at_vn
    from tests.review_support import free_port

    friday = date(2016, 1, 15)
    down = settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_seconds=5))
    context = AppContext(down, default_clock=FixedClock(at_vn(friday, 8)))
    morning = jobs.run_reminder_day(context, friday)  # no mail server: every digest retried from 08:15
    context.close()
    assert morning.queued > 0 and morning.retrying == morning.queued
    modules, printed = modules_after(settings, "remind", "--today", "15/01/2016", exit_code=1)  # at 08:00
    assert "15/01/2016: nothing to send now" in printed
    assert f"error: not delivered yet: {morning.queued} queued, next try 08:15 15/01/2016" in printed
    assert loaded_among(modules, NOT_FOR_NOTHING_TO_SEND + TABLE_CLASSES) == []
    assert "notifications.daily" in modules and "models.core" in modules  # it did sweep the day

    modules, printed = modules_after(settings, "status")
    assert f"Outbox: 0 sent, {morning.queued} waiting, 0 failed" in printed
    assert f"  not delivered yet: {morning.queued} queued, next try 08:15 15/01/2016" in printed
    assert "BK-KTTT-2015-2020: 147 tasks" in printed
    assert loaded_among(modules, NOT_FOR_READS + TABLE_CLASSES + ("babel",)) == []


def test_the_plain_tables_have_the_table_classes_names_and_column_types():
    import models
    from models import core
    from sqlmodel import SQLModel

    models.load_tables()
    for table in core.metadata.tables.values():
        full = SQLModel.metadata.tables[table.name]
        for column in table.columns:
            assert column.name in full.columns, f"{table.name}.{column.name} is not a column of the table class"
            theirs = full.columns[column.name].type
            assert column.type._type_affinity is theirs._type_affinity, f"{table.name}.{column.name}"
            assert getattr(column.type, "timezone", None) == getattr(theirs, "timezone", None), f"{table.name}.{column.name}"


def test_the_plain_tables_open_occurrence_conditions_are_the_table_classes_in_sql():
    from datetime import date as day
    from sqlalchemy.dialects import postgresql, sqlite

    from models import core, occurrence

    for dialect in (sqlite.dialect(), postgresql.dialect()):
        def sql(condition) -> str:
            return str(condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        assert sql(core.NOT_DONE) == sql(occurrence.NOT_DONE)
        assert sql(core.HAS_DEADLINE) == sql(occurrence.HAS_DEADLINE)
        assert sql(core.DONE_LATER_THAN(day(2016, 1, 15))) == sql(occurrence.DONE_LATER_THAN(day(2016, 1, 15)))


def test_a_table_module_alone_still_flushes_once_the_orm_loads_every_table(engine):
    """models/__init__.py loads no table: the first ORM use loads them all, so a foreign key to a
    table no one imported (occurrence.task_id -> task) resolves."""
    code = ("from datetime import date\nfrom sqlmodel import Session, create_engine\nimport sys\n"
            "from datetime import datetime, timezone\nfrom models.audit import AuditEntry\n"
            "assert 'models.plan' not in sys.modules\n"
            "with Session(create_engine(sys.argv[1])) as session:\n"
            "    session.add(AuditEntry(at=datetime(2016, 1, 15, tzinfo=timezone.utc), actor='t', entity='task', entity_id=1, field='x'))\n"
            "    session.flush()\n    session.rollback()\nprint('FLUSHED', 'models.plan' in sys.modules)")
    url = engine.url.render_as_string(hide_password=False)
    done = subprocess.run([sys.executable, "-c", code, url], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert "FLUSHED True" in done.stdout, done.stderr[-2000:]


def _width_of_line(line: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_the_plain_table_aligns_vietnamese_composed_decomposed_and_wide_text():
    from dondoc.cli.output import render_table

    decomposed = unicodedata.normalize("NFD", "Sở Kế hoạch và Đầu tư")
    rows = [["SKHDT", "Sở Kế hoạch và Đầu tư", "x"], ["NFD", decomposed, "y"], ["CJK", "漢字かな", "z"]]
    lines = render_table(["Mã", "Cơ quan", "Ghi chú"], rows, title="Cơ quan").splitlines()
    assert lines[0] == "Cơ quan" and lines[2].startswith("Mã ")
    third = [line.rstrip()[-1] for line in lines[4:]]
    assert third == ["x", "y", "z"]
    assert len({_width_of_line(line.rstrip()) for line in lines[4:]}) == 1  # the last column starts at one place


def test_a_cell_too_wide_for_the_table_is_wrapped_at_spaces_within_the_width():
    from dondoc.cli.output import render_table

    title = "Xây dựng Kế hoạch phát triển kinh tế tập thể hàng năm của huyện, thị xã " * 4
    text = render_table(["Mã", "Nhiệm vụ", "Chủ trì"], [["3.3-d", title.strip(), "NGAN-SON"]], width=80)
    lines = text.splitlines()
    assert max(_width_of_line(line) for line in lines) <= 80
    assert " ".join(line[len("3.3-d  "):].split("  ")[0].strip() for line in lines[2:]).split() == title.split()
    assert lines[2].rstrip().endswith("NGAN-SON")
