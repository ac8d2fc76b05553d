"""dondoc tasks / overdue / task done|progress|show: what is due, what is late, what was done.

The read commands (tasks, overdue, task show) read the plain tables of models/core.py through
models/queries.py and never import SQLModel or the table classes (issue 23: that alone cost them more
than the floor every command pays); tests/cli/test_cli_speed.py holds them to it. The writes import the
table classes when they run.
"""
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy import func, select

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors, parse_day
from dondoc.cli import say
from dondoc.cli.output import Format, emit, labelled, language, show_date
from dondoc.cli.status import no_plan_loaded, say_no_plan
from models import core
from models.clock import local_date, vn_time
from models.db import transaction
from models.status import StatusCategory, occurrence_days_late, occurrence_status
from models.queries import find_task_id, list_tasks, overdue as overdue_rows, task_record

task_app = typer.Typer(help="One task: record completion or progress, show its history.", no_args_is_help=True)
app.add_typer(task_app, name="task")

AgencyOption = typer.Option(None, "--agency", help="Only this agency's tasks (its code, e.g. SKHDT).")
FormatOption = typer.Option(Format.table, "--format", help="table, json or csv.")


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


ListFormatOption = typer.Option(ListFormat.table, "--format",
                                help="table, json, csv or xlsx (an Excel file: give --output).")
OutputOption = typer.Option(None, "--output", "-o", help="Write the list to this file (needed for --format xlsx).")


def _write_xlsx(output: Path | None, columns, rows: list[list], title: str) -> None:
    """The list as an Excel file (dondoc/documents/exports.py): real dates, autofilter, frozen header."""
    from dondoc.documents.exports import table_xlsx
    if output is None:
        raise InputError("--format xlsx writes a file: say where with --output FILE.xlsx", field="--output",
                         vi="--format xlsx ghi ra tệp: hãy nêu nơi ghi bằng --output TỆP.xlsx")
    data = table_xlsx(columns, rows, title)
    temporary = output.with_name(output.name + ".part")
    try:
        temporary.write_bytes(data)
        temporary.replace(output)  # nothing half-written under the name asked for
    except OSError as error:
        from dondoc.documents.files import unwritable
        raise unwritable(error, output, field="--output") from None
    typer.echo(f"{output}: {len(rows)} " + say("dòng", "rows"))


PlanFilterOption = typer.Option(None, "--plan", help="Only this plan's tasks (its code, e.g. BK-KTTT-2015-2020).")


def _check_code(session, table, code: str | None, what: tuple[str, str], option: str) -> str | None:
    """The plan's or agency's code as stored (any case accepted); a wrong one is refused with the closest."""
    from config.errors import did_you_mean
    if not code:
        return code
    found = session.execute(select(table.c.code).where(func.upper(table.c.code) == code.strip().upper())).scalar()
    if found is None:
        codes = session.execute(select(table.c.code)).scalars().all()
        raise InputError(f"no {what[1]} with code {code}{did_you_mean(code, codes)}", field=option,
                         vi=f"không có {what[0]} nào mã {code}{did_you_mean(code, codes, 'vi')}")
    return found


def _check_plan(session, code: str | None) -> str | None:
    return _check_code(session, core.plan, code, ("kế hoạch", "plan"), "--plan")


def _with_plan(rows: list[dict], columns: list) -> list:
    """The plan's column, where the rows come from several plans (JSON always names it)."""
    return [("plan", ("Kế hoạch", "Plan"))] + columns if len({row["plan"] for row in rows}) > 1 else columns


def _status_label(value) -> str:
    return StatusCategory(value).label(language()) if value else ""


def _check_agency(session, code: str | None) -> str | None:
    return _check_code(session, core.agency, code, ("cơ quan", "agency"), "--agency")


@app.command("tasks")
@handles_errors
def tasks(ctx: typer.Context, agency: str = AgencyOption, plan: str = PlanFilterOption, today: date = TodayOption,
          fmt: ListFormat = ListFormatOption, output: Path = OutputOption) -> None:
    """Every task with its lead agency, timing and next due date."""
    context = ctx.obj
    now = context.clock(today).now()
    with context.engine.connect() as session:
        if no_plan_loaded(session):
            say_no_plan(context)
        agency, plan = _check_agency(session, agency), _check_plan(session, plan)
        rows = [row.as_dict() for row in list_tasks(session, now=now, agency_code=agency, plan_code=plan)]
    if fmt == ListFormat.xlsx:
        from dondoc.documents.exports import TASK_COLUMNS
        return _write_xlsx(output, TASK_COLUMNS, [[r["ref"], r["title"], r["lead"], r["timing"], r["next_due"],
                                                   _status_label(r["status"]), _status_label(r["duty_status"]),
                                                   r["plan"] or ""] for r in rows], "Nhiệm vụ")
    emit(rows, Format(fmt), _with_plan(rows, [("ref", ("Mã", "Ref")), ("title", ("Nhiệm vụ", "Task")),
                                              ("lead", ("Chủ trì", "Lead")), ("timing", ("Thời hạn", "Timing")),
                                              ("next_due", ("Kỳ hạn tới", "Next due")), ("status", ("Tình trạng kỳ", "Period status")),
                                              ("duty_status", ("Tình trạng nhiệm vụ", "Duty status"))]),
         title=say(f"Nhiệm vụ ({len(rows)} nhiệm vụ) — tính đến ngày {show_date(local_date(now))}",
                   f"Tasks ({len(rows)} tasks) as of {show_date(local_date(now))}"),
         formatters={"status": _status_label, "duty_status": _status_label, "timing": labelled("timing")})


@app.command("overdue")
@handles_errors
def overdue(ctx: typer.Context, today: date = TodayOption, agency: str = AgencyOption, plan: str = PlanFilterOption,
            fmt: ListFormat = ListFormatOption, output: Path = OutputOption) -> None:
    """Every occurrence past its due date and not done, worst first (what Alliance staff chase): one line
    per missed period (the web page folds them into one row per duty)."""
    context = ctx.obj
    now = context.clock(today).now()
    with context.engine.connect() as session:
        if no_plan_loaded(session):
            say_no_plan(context)
        agency, plan = _check_agency(session, agency), _check_plan(session, plan)
        rows = [row.as_dict() for row in overdue_rows(session, now=now, agency_code=agency, plan_code=plan)]
    if fmt == ListFormat.xlsx:
        from sqlmodel import Session

        from dondoc.web.overdue import focal_names
        with Session(context.engine) as session:
            focal = focal_names(session, local_date(now))
    if fmt == ListFormat.xlsx:
        from dondoc.documents.exports import PER_PERIOD_SHEET, Column
        columns = [Column("Mã nhiệm vụ", 14), Column("Nhiệm vụ", 70), Column("Chủ trì", 12),
                   Column("Cơ quan chủ trì", 36), Column("Hạn", 12, "date"), Column("Số ngày quá hạn", 10, "number"),
                   Column("Tình trạng", 24), Column("Đầu mối", 36), Column("Kế hoạch", 20)]
        return _write_xlsx(output, columns, [[r["ref"], r["title"], r["lead"], r["lead_name"], r["due"],
                                              r["days_overdue"], _status_label(r["status"]), focal.get(r["lead"], ""),
                                              r["plan"] or ""] for r in rows], PER_PERIOD_SHEET)
    duties = len({(r['plan'], r['ref']) for r in rows})
    emit(rows, Format(fmt), _with_plan(rows, [("ref", ("Mã", "Ref")), ("title", ("Nhiệm vụ", "Task")), ("lead", ("Chủ trì", "Lead")),
                                              ("due", ("Hạn", "Due")), ("days_overdue", ("Số ngày quá hạn", "Days overdue")),
                                              ("status", ("Tình trạng", "Status"))]),
         title=say(f"Chưa hoàn thành, quá hạn: {duties} nhiệm vụ ({len(rows)} kỳ hạn, "
                   f"mỗi dòng một kỳ) — tính đến ngày {show_date(local_date(now))}",
                   f"Not completed, overdue: {duties} tasks ({len(rows)} periods, one a line) as of "
                   f"{show_date(local_date(now))}"),
         formatters={"status": _status_label, "days_overdue": str})


DueOption = typer.Option(None, "--due", parser=parse_day, metavar="DD/MM/YYYY",
                         help="Which occurrence (its due date); default: the earliest not yet done.")
NoteOption = typer.Option(None, "--note", help="A note kept with the occurrence and in the audit.")
PlanOption = typer.Option(None, "--plan", help="The plan code, when the ref exists in several plans.")


@task_app.command("done")
@handles_errors
def done(ctx: typer.Context, ref: str, on: date = typer.Option(..., "--on", parser=parse_day, metavar="DD/MM/YYYY",
         help="The day it was completed."), note: str = NoteOption, due: date = DueOption, plan: str = PlanOption,
         today: date = TodayOption) -> None:
    """Record that a task (one occurrence of it) was completed on a date."""
    from models.updates import mark_done
    context = ctx.obj
    with transaction(context.engine) as session:
        occ = mark_done(session, ref=ref, on=on, note=note, due=due, plan_code=plan,
                        at=context.clock(today).now(), actor=context.actor)
        category = occurrence_status(occ, local_date(context.clock(today).now()))
    typer.echo(say(f"{ref}: hạn {show_date(occ.due_date)} — {category.label_vi} ({show_date(on)}).",
                   f"{ref}: due {show_date(occ.due_date)} — {category.label_en} ({show_date(on)})."))


@task_app.command("progress")
@handles_errors
def progress(ctx: typer.Context, ref: str, percent: int = typer.Option(None, "--percent", help="0-100."),
             note: str = NoteOption, due: date = DueOption, plan: str = PlanOption, today: date = TodayOption) -> None:
    """Record progress on a task (one occurrence of it)."""
    from models.updates import record_progress
    context = ctx.obj
    with transaction(context.engine) as session:
        occ = record_progress(session, ref=ref, percent=percent, note=note, due=due, plan_code=plan,
                              at=context.clock(today).now(), actor=context.actor)
    shown = f" {occ.progress_percent}%" if occ.progress_percent is not None else ""
    typer.echo(say(f"{ref}: hạn {show_date(occ.due_date)} — đang thực hiện{shown}.",
                   f"{ref}: due {show_date(occ.due_date)} — in progress{shown}."))


@task_app.command("show")
@handles_errors
def show(ctx: typer.Context, ref: str, plan: str = PlanOption, today: date = TodayOption, fmt: Format = FormatOption) -> None:
    """A task's occurrences with their status, and its full history."""
    context = ctx.obj
    now = context.clock(today).now()
    with context.engine.connect() as session:
        task, occurrences, history = task_record(session, find_task_id(session, ref=ref, plan_code=plan))
        day = local_date(now)
        later = lambda o: o.completed_on is not None and o.completed_on > day  # noqa: E731  (recorded for a later day)
        rows = [dict(due=o.due_date, original_due=o.original_due, kind=o.kind, status=occurrence_status(o, day).value,
                     days_late=occurrence_days_late(o, day), progress=o.progress,
                     percent=o.progress_percent, completed_on=None if later(o) else o.completed_on,
                     note=o.note) for o in occurrences]
        changes = [dict(at=vn_time(h.at), actor=h.actor, field=h.field, old=h.old_value, new=h.new_value,
                        note=h.note) for h in history]
    if fmt == Format.json:
        import json
        typer.echo(json.dumps({"ref": task.ref, "title": task.title, "text": task.source_text,
                               "product": task.product, "occurrences": rows, "history": changes}, ensure_ascii=False, indent=2,
                               default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))
        return
    typer.echo(f"{task.ref} — {task.title}\n{task.source_text}\n")
    if task.product:
        typer.echo(say("Sản phẩm: ", "Product: ") + f"{task.product}\n")
    emit(rows, fmt, [("due", ("Hạn", "Due")), ("original_due", ("Hạn theo Kế hoạch (đã gia hạn)", "Plan's due date (extended)")),
                     ("kind", ("Loại", "Kind")), ("status", ("Tình trạng", "Status")),
                     ("days_late", ("Số ngày quá hạn", "Days overdue")), ("percent", "%"),
                     ("completed_on", ("Hoàn thành", "Completed")), ("note", ("Ghi chú", "Note"))],
         title=("Các kỳ hạn", "Periods"),
         formatters={"status": _status_label, "percent": lambda v: "" if v is None else str(v),
                     "kind": labelled("occurrence_kind"),
                     "original_due": lambda v: show_date(v) if v else "",
                     "days_late": lambda v: str(v) if v else ""})
    from dondoc.labels import actor_of
    if fmt == Format.table:  # people read labels; csv keeps the stored words beside them
        for change in changes:
            value = labelled("progress") if change["field"] == "progress" else (lambda v: v)
            change.update(actor=actor_of(change["actor"], {}, language()), field=labelled("field")(change["field"]),
                          old=value(change["old"]), new=value(change["new"]))
    emit(changes, fmt, [("at", ("Lúc", "At")), ("actor", ("Người", "By")), ("field", ("Trường", "Field")),
                        ("old", ("Cũ", "Old")), ("new", ("Mới", "New")), ("note", ("Ghi chú", "Note"))],
         title=("Lịch sử", "History"))
