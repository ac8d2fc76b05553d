"""dondoc status: one screen on an installation's health."""
import typer

from dondoc.cli import app, handles_errors, say, say_number

NO_PLAN = ("chưa nạp kế hoạch nào: chạy dondoc plan load <tệp kế hoạch .yaml> (ví dụ config/plans/bac-kan-2015-2020.yaml) "
           "hoặc dondoc plan import <văn bản kế hoạch>",
           "no plan loaded: run dondoc plan load <plan file .yaml> (e.g. config/plans/bac-kan-2015-2020.yaml) "
           "or dondoc plan import <plan document>")


def no_plan_loaded(session) -> bool:
    """The database has no plan: the commands that show tasks say NO_PLAN rather than zeros."""
    from sqlalchemy import select

    from models.core import plan
    return session.execute(select(plan.c.id).limit(1)).first() is None


def say_no_plan(context) -> None:
    """NO_PLAN on stderr, naming the database read, exit 1 (an empty table would look like "nothing is late")."""
    from config.paths import without_password
    typer.echo(say(*NO_PLAN) + f"  [{without_password(context.settings.resolved_database_url)}]", err=True)
    raise typer.Exit(1)


@app.command("status")
@handles_errors
def status(ctx: typer.Context) -> None:
    """One screen on this installation's health: the database, its plans, the last job runs, the outbox
    waiting and failed, the scheduler's lease."""
    from pathlib import Path

    from sqlalchemy import func, select

    from config.paths import without_password
    from dondoc.app.outbox_state import undelivered
    from dondoc.cli.output import language, show_date, show_moment
    from models.clock import SystemClock
    # The plain tables (models/core.py): this screen loads neither SQLModel nor the table classes.
    from models.core import LEASE_NAME, message as Message, plan as Plan, scheduler_lease, scheduler_run, task as Task
    from models.outbox_values import MessageStatus

    context = ctx.obj
    settings = context.settings
    url = settings.resolved_database_url
    typer.echo(say("Cơ sở dữ liệu / database: ", "Database: ") + without_password(url))
    typer.echo(say("Thư mục dữ liệu / data folder: ", "Data folder: ") + str(Path(settings.data_dir).resolve()))
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        typer.echo(say("  (chưa có tệp cơ sở dữ liệu) ", "  (no database file yet) ") + say(*NO_PLAN))
        raise typer.Exit(1)
    engine = context.engine
    with engine.connect() as connection:
        plans = connection.execute(
            select(Plan.c.code, Plan.c.title, func.count(Task.c.id))
            .join(Task, Task.c.plan_id == Plan.c.id, isouter=True).group_by(Plan.c.id, Plan.c.code, Plan.c.title).order_by(Plan.c.code)).all()
        counts = dict(connection.execute(select(Message.c.status, func.count()).group_by(Message.c.status)).all())
        runs = {run.job: run for run in connection.execute(
            select(scheduler_run.c.job, scheduler_run.c.day, scheduler_run.c.finished_at, scheduler_run.c.summary))}
        lease = connection.execute(select(scheduler_lease.c.holder, scheduler_lease.c.expires_at)
                                   .where(scheduler_lease.c.name == LEASE_NAME)).first()
    typer.echo(say("Kế hoạch / plans:", "Plans:"))
    if not plans:
        typer.echo("  " + say(*NO_PLAN))
    for code, title, tasks in plans:
        typer.echo(f"  {code}: {say_number(tasks)} " + say("nhiệm vụ", "tasks") + f" — {title[:70]}")
    typer.echo(say("Lần chạy gần nhất / last job runs:", "Last job runs:"))
    if not runs:
        typer.echo("  " + say("chưa có (dondoc serve chưa chạy trên cơ sở dữ liệu này)",
                              "none yet (dondoc serve has not run on this database)"))
    for job, run in sorted(runs.items()):
        typer.echo(f"  {job}: {show_date(run.day)} ({say('xong lúc', 'finished')} {show_moment(run.finished_at)}) {run.summary[:80]}")
    waiting = undelivered(context)
    failed = counts.get(MessageStatus.FAILED, 0)
    typer.echo(say("Hộp thư đi / outbox:", "Outbox:") + f" {say_number(counts.get(MessageStatus.SENT, 0))} "
               + say("đã gửi", "sent") + f", {say_number(waiting.total)} " + say("đang chờ", "waiting")
               + f", {say_number(failed)} " + say("thất bại", "failed")
               + (say(" (xem: dondoc outbox --status failed)", " (see: dondoc outbox --status failed)") if failed else ""))
    if waiting.total:
        typer.echo(f"  {waiting.describe(language())}")
    wall = SystemClock().now()  # a lease is about processes: the wall clock
    if lease is None:
        line = say("không chạy (khởi động: dondoc serve)", "not running (start it with dondoc serve)")
    elif lease.expires_at < wall:
        line = say(f"không chạy; {lease.holder} dừng mà không trả quyền (hết hạn {show_moment(lease.expires_at)})",
                   f"not running; {lease.holder} stopped without releasing its lease "
                   f"(expired {show_moment(lease.expires_at)})")
    else:
        line = say(f"{lease.holder}, giữ quyền đến {show_moment(lease.expires_at, seconds=True)}",
                   f"{lease.holder}, lease until {show_moment(lease.expires_at, seconds=True)}")
    typer.echo(say("Bộ lập lịch / scheduler: ", "Scheduler: ") + line)
    if not plans:
        raise typer.Exit(1)
