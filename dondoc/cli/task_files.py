"""dondoc task reassign|attach|files|contribute: move a duty, file evidence, list it, add a
coordinator's note. Each runs the same use case as the web (models/reassignment.py via
notifications/reassignment.py, models/evidence.py, models/contributions.py), in one transaction."""
from datetime import date
from pathlib import Path

import typer

from config.errors import InputError, unreadable
from dondoc.cli import TodayOption, handles_errors, parse_day
from dondoc.cli.output import Format, emit, show_date
from dondoc.cli import task_work  # noqa: F401  (the `task` group's other commands: extend, decide, return, ...)
from dondoc.cli.tasks import FormatOption, NoteOption, PlanOption, task_app
from models.db import transaction

# The tables are imported when one of these commands runs: `task show` loads this module too (issue 23).


def _both(message: str, vi: str) -> str:
    """A line in Vietnamese, then in English."""
    return f"{vi}\n{message}"


@task_app.command("reassign")
@handles_errors
def reassign_command(ctx: typer.Context, ref: str,
                     to: str = typer.Option(None, "--to", help="The new lead agency's code (e.g. SNN)."),
                     coordinators: str = typer.Option(None, "--coordinators",
                                                      help="The coordinating agencies' codes, comma-separated "
                                                           "(replaces them; \"\" for none)."),
                     reason: str = typer.Option(..., "--reason", help="Why (kept in the audit and sent in the emails)."),
                     effective: date = typer.Option(None, "--from", callback=parse_day, metavar="YYYY-MM-DD",
                                                    help="The day it takes effect (default: today)."),
                     plan: str = PlanOption, today: date = TodayOption) -> None:
    """Move a duty to another lead agency and/or change its coordinators, with a reason (staff)."""
    from notifications.reassignment import reassign_duty
    context = ctx.obj
    if to is None and coordinators is None:
        raise InputError("say --to (a new lead) or --coordinators (or both)", field="--to",
                         vi="hãy nêu --to (cơ quan chủ trì mới) hoặc --coordinators (hoặc cả hai)")
    wanted = None if coordinators is None else [c.strip() for c in coordinators.split(",") if c.strip()]
    now = context.clock(today).now()
    with transaction(context.engine) as session:
        done, queued = reassign_duty(session, ref=ref, to_code=to, coordinators=wanted, reason=reason,
                                     effective_on=effective, at=now, actor=context.actor,
                                     mail_from=context.settings.mail_from, base_url=context.settings.public_base_url,
                                     plan_code=plan)
        row = done.reassignment
        when = show_date(row.effective_on)
        state = ("đã áp dụng", "applied") if done.applied else ("chờ đến ngày hiệu lực", "waiting for its day")
        typer.echo(_both(f"{done.task.ref}: lead {done.old_lead.code} -> {done.new_lead.code}, coordinating "
                         f"{row.coordinators_after or '-'}, from {when} ({state[1]}); {queued} email(s) queued.",
                         f"{done.task.ref}: chủ trì {done.old_lead.code} → {done.new_lead.code}, phối hợp "
                         f"{row.coordinators_after or '-'}, từ ngày {when} ({state[0]}); {queued} thư vào hàng đợi."))


@task_app.command("attach")
@handles_errors
def attach_command(ctx: typer.Context, ref: str, files: list[Path] = typer.Argument(..., help="PDF, DOCX, XLSX or images."),
                   due: date = typer.Option(None, "--due", callback=parse_day, metavar="YYYY-MM-DD",
                                            help="Which occurrence (its due date); default: the earliest not done."),
                   note: str = NoteOption, plan: str = PlanOption, today: date = TodayOption) -> None:
    """File evidence (sản phẩm) with an occurrence of a duty: the type is checked by content."""
    from models.evidence import attach_to
    context = ctx.obj
    loaded = []
    for path in files:
        try:
            if path.stat().st_size > context.settings.attachment_max_bytes:
                raise InputError(f"larger than the {context.settings.attachment_max_bytes / 1_000_000:g} MB limit "
                                 f"per file (DONDOC_ATTACHMENT_MAX_BYTES); nothing stored", path=path,
                                 vi=f"lớn hơn giới hạn {context.settings.attachment_max_bytes / 1000000:g} MB mỗi tệp "
                                    "(DONDOC_ATTACHMENT_MAX_BYTES); chưa lưu gì")
            loaded.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise unreadable(exc, path) from None
    with transaction(context.engine) as session:
        rows = attach_to(session, ref=ref, due=due, files=loaded, data_dir=context.settings.data_dir,
                         max_bytes=context.settings.attachment_max_bytes, at=context.clock(today).now(),
                         actor=context.actor, note=note, plan_code=plan)
        shown = ", ".join(f"{r.filename} ({r.media_type})" for r in rows)
    typer.echo(_both(f"{ref}: {len(rows)} file(s) filed: {shown}", f"{ref}: đã lưu {len(rows)} tệp: {shown}"))


@task_app.command("files")
@handles_errors
def files_command(ctx: typer.Context, ref: str, plan: str = PlanOption, fmt: Format = FormatOption) -> None:
    """The evidence filed with a duty."""
    from sqlmodel import Session, select

    from models.agency import Agency
    from models.clock import vn_time
    from models.evidence import files_of
    from models.occurrence import Occurrence
    from models.updates import find_task
    context = ctx.obj
    with Session(context.engine) as session:
        task = find_task(session, ref=ref, plan_code=plan)
        codes = {a.id: a.code for a in session.exec(select(Agency))}
        rows = []
        for f in files_of(session, task.id):
            occ = session.get(Occurrence, f.occurrence_id) if f.occurrence_id else None
            rows.append(dict(id=f.id, file=f.filename, type=f.media_type, size=f.size, agency=codes.get(f.agency_id, ""),
                             due=occ.due_date if occ else None, at=vn_time(f.at).isoformat(), by=f.actor, sha256=f.sha256))
    emit(rows, fmt, [("id", "#"), ("file", "Tệp"), ("type", "Loại"), ("size", "Dung lượng (B)"), ("agency", "Cơ quan"),
                     ("due", "Kỳ hạn"), ("by", "Người gửi")],
         title=f"Tệp sản phẩm của {task.ref} ({len(rows)})", formatters={"size": str})


@task_app.command("contribute")
@handles_errors
def contribute_command(ctx: typer.Context, ref: str,
                       agency: str = typer.Option(..., "--agency", help="The coordinating agency's code."),
                       note: str = typer.Option(..., "--note", help="What the coordinating agency contributes."),
                       plan: str = PlanOption, today: date = TodayOption) -> None:
    """A coordinating agency's contribution note on a duty (the lead sees it on the task page)."""
    from models.contributions import contribute
    from models.updates import find_task
    context = ctx.obj
    with transaction(context.engine) as session:
        row = contribute(session, ref=ref, agency_code=agency, note=note, at=context.clock(today).now(),
                         actor=context.actor, plan_code=plan)
        task_ref = find_task(session, ref=ref, plan_code=plan).ref
    typer.echo(_both(f"{task_ref}: contribution of {agency} recorded (#{row.id}).",
                     f"{task_ref}: đã ghi nhận ý kiến phối hợp của {agency} (#{row.id})."))
