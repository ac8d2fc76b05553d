"""dondoc tasks / overdue / task done|progress|show: what is due, what is late, what was done."""
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from sqlmodel import Session, select

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors, parse_day
from dondoc.cli.output import Format, emit, show_date
from dondoc.cli.status import no_plan_loaded, say_no_plan
from models.agency import Agency
from models.audit import AuditEntry
from models.clock import local_date, vn_time
from models.db import transaction
from models.occurrence import Occurrence
from models.status import StatusCategory, occurrence_days_late, occurrence_status
from models.queries import list_tasks, overdue as overdue_rows
from models.updates import find_task, mark_done, record_progress

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
        raise InputError("--format xlsx writes a file: say where with --output FILE.xlsx", field="--output")
    data = table_xlsx(columns, rows, title)
    temporary = output.with_name(output.name + ".part")
    try:
        temporary.write_bytes(data)
        temporary.replace(output)  # nothing half-written under the name asked for
    except OSError as error:
        raise InputError(f"cannot write {output}: {error.strerror}", field="--output") from None
    typer.echo(f"{output}: {len(rows)} dòng")


PlanFilterOption = typer.Option(None, "--plan", help="Only this plan's tasks (its code, e.g. BK-KTTT-2015-2020).")


def _check_plan(session: Session, code: str | None) -> str | None:
    """The plan's code as stored (any case accepted); a wrong one is refused with the closest code."""
    from sqlalchemy import func

    from config.errors import did_you_mean
    from models.plan import Plan
    if not code:
        return code
    found = session.exec(select(Plan.code).where(func.upper(Plan.code) == code.strip().upper())).first()
    if found is None:
        raise InputError(f"no plan with code {code}{did_you_mean(code, session.exec(select(Plan.code)).all())}",
                         field="--plan")
    return found


def _with_plan(rows: list[dict], columns: list) -> list:
    """The plan's column, where the rows come from several plans (JSON always names it)."""
    return [("plan", "Kế hoạch")] + columns if len({row["plan"] for row in rows}) > 1 else columns


def _status_label(value) -> str:
    return StatusCategory(value).label_vi if value else ""


def _check_agency(session: Session, code: str | None) -> str | None:
    """The agency's code as stored (any case accepted); a wrong one is refused with the closest code."""
    from sqlalchemy import func

    from config.errors import did_you_mean
    if not code:
        return code
    found = session.exec(select(Agency.code).where(func.upper(Agency.code) == code.strip().upper())).first()
    if found is None:
        raise InputError(f"no agency with code {code}{did_you_mean(code, session.exec(select(Agency.code)).all())}",
                         field="--agency")
    return found


@app.command("tasks")
@handles_errors
def tasks(ctx: typer.Context, agency: str = AgencyOption, plan: str = PlanFilterOption, today: date = TodayOption,
          fmt: ListFormat = ListFormatOption, output: Path = OutputOption) -> None:
    """Every task with its lead agency, timing and next due date."""
    context = ctx.obj
    now = context.clock(today).now()
    with Session(context.engine) as session:
        if no_plan_loaded(session):
            say_no_plan(context)
        agency, plan = _check_agency(session, agency), _check_plan(session, plan)
        rows = [row.as_dict() for row in list_tasks(session, now=now, agency_code=agency, plan_code=plan)]
    if fmt == ListFormat.xlsx:
        from dondoc.documents.exports import TASK_COLUMNS
        return _write_xlsx(output, TASK_COLUMNS, [[r["ref"], r["title"], r["lead"], r["timing"], r["next_due"],
                                                   _status_label(r["status"]), _status_label(r["duty_status"]),
                                                   r["plan"] or ""] for r in rows], "Nhiệm vụ")
    emit(rows, Format(fmt), _with_plan(rows, [("ref", "Mã"), ("title", "Nhiệm vụ"), ("lead", "Chủ trì"), ("timing", "Thời hạn"),
                     ("next_due", "Kỳ hạn tới"), ("status", "Tình trạng kỳ"), ("duty_status", "Tình trạng nhiệm vụ")]),
         title=f"Nhiệm vụ ({len(rows)} nhiệm vụ) — tính đến ngày {show_date(local_date(now))}",
         formatters={"status": _status_label, "duty_status": _status_label})


@app.command("overdue")
@handles_errors
def overdue(ctx: typer.Context, today: date = TodayOption, agency: str = AgencyOption, plan: str = PlanFilterOption,
            fmt: ListFormat = ListFormatOption, output: Path = OutputOption) -> None:
    """Every occurrence past its due date and not done, worst first (what Alliance staff chase): one line
    per missed period (the web page folds them into one row per duty)."""
    context = ctx.obj
    now = context.clock(today).now()
    with Session(context.engine) as session:
        if no_plan_loaded(session):
            say_no_plan(context)
        agency, plan = _check_agency(session, agency), _check_plan(session, plan)
        rows = [row.as_dict() for row in overdue_rows(session, now=now, agency_code=agency, plan_code=plan)]
        if fmt == ListFormat.xlsx:
            from dondoc.web.overdue import focal_names
            focal = focal_names(session, local_date(now))
    if fmt == ListFormat.xlsx:
        from dondoc.documents.exports import PER_PERIOD_SHEET, Column
        columns = [Column("Mã nhiệm vụ", 14), Column("Nhiệm vụ", 70), Column("Chủ trì", 12),
                   Column("Cơ quan chủ trì", 36), Column("Hạn", 12, "date"), Column("Số ngày quá hạn", 10, "number"),
                   Column("Tình trạng", 24), Column("Đầu mối", 36), Column("Kế hoạch", 20)]
        return _write_xlsx(output, columns, [[r["ref"], r["title"], r["lead"], r["lead_name"], r["due"],
                                              r["days_overdue"], _status_label(r["status"]), focal.get(r["lead"], ""),
                                              r["plan"] or ""] for r in rows], PER_PERIOD_SHEET)
    emit(rows, Format(fmt), _with_plan(rows, [("ref", "Mã"), ("title", "Nhiệm vụ"), ("lead", "Chủ trì"), ("due", "Hạn"),
                                      ("days_overdue", "Số ngày quá hạn"), ("status", "Tình trạng")]),
         title=f"Chưa hoàn thành, quá hạn: {len({(r['plan'], r['ref']) for r in rows})} nhiệm vụ ({len(rows)} kỳ hạn, "
               f"mỗi dòng một kỳ) — tính đến ngày {show_date(local_date(now))}",
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
    context = ctx.obj
    with transaction(context.engine) as session:
        occ = mark_done(session, ref=ref, on=on, note=note, due=due, plan_code=plan,
                        at=context.clock(today).now(), actor=context.actor)
        category = occurrence_status(occ, local_date(context.clock(today).now()))
    typer.echo(f"{ref}: hạn {show_date(occ.due_date)} — {category.label_vi} ({show_date(on)}).")


@task_app.command("progress")
@handles_errors
def progress(ctx: typer.Context, ref: str, percent: int = typer.Option(None, "--percent", help="0-100."),
             note: str = NoteOption, due: date = DueOption, plan: str = PlanOption, today: date = TodayOption) -> None:
    """Record progress on a task (one occurrence of it)."""
    context = ctx.obj
    with transaction(context.engine) as session:
        occ = record_progress(session, ref=ref, percent=percent, note=note, due=due, plan_code=plan,
                              at=context.clock(today).now(), actor=context.actor)
    shown = f" {occ.progress_percent}%" if occ.progress_percent is not None else ""
    typer.echo(f"{ref}: hạn {show_date(occ.due_date)} — đang thực hiện{shown}.")


@task_app.command("show")
@handles_errors
def show(ctx: typer.Context, ref: str, plan: str = PlanOption, today: date = TodayOption, fmt: Format = FormatOption) -> None:
    """A task's occurrences with their status, and its full history."""
    context = ctx.obj
    now = context.clock(today).now()
    with Session(context.engine) as session:
        task = find_task(session, ref=ref, plan_code=plan)
        occurrences = session.exec(select(Occurrence).where(Occurrence.task_id == task.id).order_by(Occurrence.due_date)).all()
        occ_ids = [o.id for o in occurrences]
        history = session.exec(select(AuditEntry).where(
            ((AuditEntry.entity == "task") & (AuditEntry.entity_id == task.id))
            | ((AuditEntry.entity == "occurrence") & (AuditEntry.entity_id.in_(occ_ids)))
        ).order_by(AuditEntry.id)).all()
        day = local_date(now)
        later = lambda o: o.completed_on is not None and o.completed_on > day  # noqa: E731  (recorded for a later day)
        rows = [dict(due=o.due_date, original_due=o.original_due, kind=o.kind, status=occurrence_status(o, day).value,
                     days_late=occurrence_days_late(o, day), progress=o.progress,
                     percent=o.progress_percent, completed_on=None if later(o) else o.completed_on,
                     note=o.note) for o in occurrences]
        changes = [dict(at=vn_time(h.at).isoformat(), actor=h.actor, field=h.field, old=h.old_value, new=h.new_value,
                        note=h.note) for h in history]
    if fmt == Format.json:
        import json
        typer.echo(json.dumps({"ref": task.ref, "title": task.title, "text": task.source_text,
                               "product": task.product, "occurrences": rows, "history": changes}, ensure_ascii=False, indent=2, default=str))
        return
    typer.echo(f"{task.ref} — {task.title}\n{task.source_text}\n")
    if task.product:
        typer.echo(f"Sản phẩm: {task.product}\n")
    emit(rows, fmt, [("due", "Hạn"), ("original_due", "Hạn theo Kế hoạch (đã gia hạn)"), ("kind", "Loại"), ("status", "Tình trạng"), ("days_late", "Số ngày quá hạn"),
                     ("percent", "%"),
                     ("completed_on", "Hoàn thành"), ("note", "Ghi chú")], title="Các kỳ hạn",
         formatters={"status": _status_label, "percent": lambda v: "" if v is None else str(v),
                     "original_due": lambda v: show_date(v) if v else "",
                     "days_late": lambda v: str(v) if v else ""})
    emit(changes, fmt, [("at", "Lúc"), ("actor", "Người"), ("field", "Trường"), ("old", "Cũ"), ("new", "Mới"),
                        ("note", "Ghi chú")], title="Lịch sử")
