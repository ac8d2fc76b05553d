"""dondoc task extend|decide|return|explain|answer|requests: extension requests, returned reports and
explanation requests (models/task_work.py), with their emails queued in the same transaction.

The operator of the CLI acts as staff; `--by EMAIL` acts as that focal point instead (their agencies'
rights apply: they may ask to extend and answer for their own duties, nothing more)."""
from datetime import date

import typer

from config.errors import InputError
from dondoc.cli import TodayOption, handles_errors, parse_day
from dondoc.cli.output import Format, emit, show_date
from dondoc.cli.tasks import DueOption, FormatOption, PlanOption, task_app

# The use cases (models/task_work.py) and the tables are imported when one of these commands runs: the
# `task` group's read command (`task show`) loads this module too, and must not pay for SQLModel.

ByOption = typer.Option(None, "--by", help="Act as this focal point (their email), not as staff.")
ReasonOption = typer.Option(..., "--reason", help="Why (kept with the request, in the audit and the emails).")


def _who(context, by: str | None):
    from sqlmodel import Session

    from models.accounts import focal_person
    from models.task_work import Who
    if not by:
        return Who(actor=context.actor, staff=True)
    with Session(context.engine) as session:
        person = focal_person(session, by)
    if person is None:
        raise InputError(f"{by} is not an active focal point", field="--by", vi=f"{by} không phải đầu mối đang hoạt động")
    return Who(actor=f"cli:focal:{person.email}", staff=False, agency_ids=person.agency_ids, email=person.email)


def _run(context, today, use_case: str, **arguments):
    """The use case named `use_case` (a function of models/task_work.py), performed as dondoc.app.task_work does."""
    from dondoc.app.task_work import perform
    from models import task_work
    return perform(context.engine, context.settings, getattr(task_work, use_case), at=context.clock(today).now(),
                   **arguments)


@task_app.command("extend")
@handles_errors
def extend(ctx: typer.Context, ref: str,
           to: date = typer.Option(..., "--to", callback=parse_day, metavar="YYYY-MM-DD", help="The new due date asked for."),
           reason: str = ReasonOption, due: date = DueOption, by: str = ByOption, plan: str = PlanOption,
           today: date = TodayOption) -> None:
    """Ask for a new due date for one occurrence (đề nghị gia hạn); staff decide with `task decide`."""
    context = ctx.obj
    found = _run(context, today, "request_extension", who=_who(context, by), ref=ref, due=due, new_due=to,
                 reason=reason, plan_code=plan)
    typer.echo(f"{ref}: đề nghị gia hạn số {found.id} — hạn {show_date(found.due_then)} → {show_date(to)}, "
               f"chờ quyết định.")


@task_app.command("decide")
@handles_errors
def decide(ctx: typer.Context, request: int = typer.Argument(..., help="The extension request's number."),
           approve: bool = typer.Option(..., "--approve/--refuse", help="Approve or refuse."),
           to: date = typer.Option(None, "--to", callback=parse_day, metavar="YYYY-MM-DD",
                                   help="Approve another date than the one asked."),
           note: str = typer.Option(None, "--note", help="The decision's note (needed to refuse)."),
           by: str = ByOption, today: date = TodayOption) -> None:
    """Approve or refuse an extension request (staff only)."""
    context = ctx.obj
    found = _run(context, today, "decide_extension", who=_who(context, by), request_id=request, approve=approve,
                 granted_due=to, note=note)
    if approve:
        typer.echo(f"Đề nghị gia hạn số {found.id}: đồng ý, hạn mới {show_date(found.granted_due)} "
                   f"(hạn cũ {show_date(found.due_then)}).")
    else:
        typer.echo(f"Đề nghị gia hạn số {found.id}: không đồng ý, hạn vẫn là {show_date(found.due_then)}.")


@task_app.command("return")
@handles_errors
def return_(ctx: typer.Context, ref: str, reason: str = ReasonOption, due: date = DueOption, by: str = ByOption,
            plan: str = PlanOption, today: date = TodayOption) -> None:
    """Return a recorded completion (trả lại, staff only): the occurrence is open again."""
    context = ctx.obj
    found = _run(context, today, "return_completion", who=_who(context, by), ref=ref, due=due, reason=reason,
                 plan_code=plan)
    typer.echo(f"{ref}: đã trả lại báo cáo hoàn thành kỳ hạn {show_date(found.due_then)}; nhiệm vụ mở lại.")


@task_app.command("explain")
@handles_errors
def explain(ctx: typer.Context, ref: str,
            answer_by: date = typer.Option(..., "--answer-by", callback=parse_day, metavar="YYYY-MM-DD",
                                           help="The day the lead agency must answer by."),
            reason: str = ReasonOption, due: date = DueOption, by: str = ByOption, plan: str = PlanOption,
            today: date = TodayOption) -> None:
    """Ask the lead agency to explain a late duty (yêu cầu giải trình, staff only)."""
    context = ctx.obj
    found = _run(context, today, "request_explanation", who=_who(context, by), ref=ref, due=due,
                 answer_by=answer_by, reason=reason, plan_code=plan)
    typer.echo(f"{ref}: yêu cầu giải trình số {found.id} về kỳ hạn {show_date(found.due_then)}, "
               f"trả lời trước ngày {show_date(answer_by)}.")


@task_app.command("answer")
@handles_errors
def answer(ctx: typer.Context, ref: str, text: str = typer.Option(..., "--text", help="The explanation."),
           request: int = typer.Option(None, "--request", help="Which explanation request (its number), when the "
                                                                "task has several open."),
           by: str = ByOption, plan: str = PlanOption, today: date = TodayOption) -> None:
    """Answer the task's open explanation request (the lead agency's focal point, or staff writing it down)."""
    context = ctx.obj
    if request is None:
        from sqlmodel import Session, select

        from models.task_work import RequestKind, RequestState, TaskRequest
        from models.updates import find_task
        with Session(context.engine) as session:
            task = find_task(session, ref=ref, plan_code=plan)
            waiting = [r.id for r in session.exec(select(TaskRequest).where(
                TaskRequest.task_id == task.id, TaskRequest.kind == RequestKind.EXPLANATION,
                TaskRequest.state == RequestState.OPEN).order_by(TaskRequest.id))]
        if not waiting:
            raise InputError(f"{task.ref} has no explanation request waiting for an answer", field="ref",
                             vi=f"nhiệm vụ {task.ref} không có yêu cầu giải trình nào đang chờ trả lời")
        if len(waiting) > 1:
            raise InputError(f"{task.ref} has {len(waiting)} explanation requests open ({', '.join(map(str, waiting))}): "
                             f"name one with --request", field="--request",
                             vi=f"nhiệm vụ {task.ref} có {len(waiting)} yêu cầu giải trình đang mở "
                                f"({', '.join(map(str, waiting))}): chọn một bằng --request")
        request = waiting[0]
    found = _run(context, today, "answer_explanation", who=_who(context, by), request_id=request, answer=text)
    typer.echo(f"{ref}: yêu cầu giải trình số {found.id} — đã giải trình.")


@task_app.command("requests")
@handles_errors
def requests(ctx: typer.Context, ref: str = typer.Argument(None, help="Only this task's."), plan: str = PlanOption,
             fmt: Format = FormatOption) -> None:
    """Extension requests, returns and explanation requests, newest last."""
    from sqlmodel import Session, select

    from models.plan import Task
    from models.task_work import TaskRequest
    from models.updates import find_task
    context = ctx.obj
    with Session(context.engine) as session:
        statement = select(TaskRequest, Task).join(Task, Task.id == TaskRequest.task_id).order_by(TaskRequest.id)
        if ref:
            statement = statement.where(TaskRequest.task_id == find_task(session, ref=ref, plan_code=plan).id)
        rows = [dict(number=r.id, ref=t.ref, kind=r.kind, kind_label=r.label(), state=r.state,
                     state_label=r.state_label(), due=r.due_then, asked=r.asked_due, granted=r.granted_due,
                     answer_by=r.answer_by, by=r.requested_by, reason=r.reason, decided_by=r.decided_by,
                     decision=r.decision_note) for r, t in session.exec(statement)]
    emit(rows, fmt, [("number", "Số"), ("ref", "Mã"), ("kind_label", "Loại"), ("state_label", "Tình trạng"),
                     ("due", "Hạn"), ("asked", "Đề nghị"), ("granted", "Gia hạn đến"), ("answer_by", "Giải trình trước"),
                     ("reason", "Lý do"), ("decision", "Quyết định / giải trình")],
         title=f"Đề nghị, trả lại, giải trình ({len(rows)})",
         formatters={k: (lambda v: show_date(v) if v else "") for k in ("due", "asked", "granted", "answer_by")})
