"""dondoc serve / schedule list / deploy: the scheduled jobs as a service, what runs when, Prefect."""
import json
import logging
import os
import signal
import sys
import threading
from datetime import date
from enum import StrEnum

import typer
from sqlmodel import Session, select

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors, say
from dondoc.cli.output import Format, emit, show_date

schedule_app = typer.Typer(help="The scheduled jobs: what runs when.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")

log = logging.getLogger("dondoc.serve")


class EngineChoice(StrEnum):
    apscheduler = "apscheduler"
    prefect = "prefect"


def configure_logging() -> None:
    """One line per event on stdout, with a timestamp: what a service manager (journald) keeps."""
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "alembic", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command("serve")
@handles_errors
def serve(ctx: typer.Context,
          engine: EngineChoice = typer.Option(EngineChoice.apscheduler, "--engine", case_sensitive=False,
                                              help="apscheduler: the embedded scheduler (one machine); prefect: serve "
                                                   "the flows as Prefect deployments from this process."),
          web: bool = typer.Option(True, "--web/--no-web", help="Also serve the dashboard in this process "
                                                                "(with --engine prefect: run `dondoc web` beside it)."),
          host: str = typer.Option(None, help="Dashboard address. Default: DONDOC_WEB_HOST (127.0.0.1)."),
          port: int = typer.Option(None, help="Dashboard port. Default: DONDOC_WEB_PORT (8000).")) -> None:
    """Run the scheduled jobs (daily reminders; the annual review's open, chase and compile) at their
    times in Asia/Ho_Chi_Minh, catching up what was missed while stopped, until SIGTERM or Ctrl-C."""
    context = ctx.obj
    configure_logging()
    if engine == EngineChoice.prefect:
        if web:
            log.info("the dashboard is not served with --engine prefect: run `dondoc web` beside it")
        _serve_prefect(context)
        return
    from dondoc.app.service import SchedulerService
    from models.scheduler import LeaseHeld

    application = None
    if web:
        from dondoc.web import create_app
        application = create_app(context)  # refuses bad web settings before anything starts
    service = SchedulerService(context)
    stop = threading.Event()
    server = None

    def shut_down(*_args) -> None:
        stop.set()
        if server is not None:
            server.should_exit = True

    def on_signal(signum, _frame) -> None:
        if not stop.is_set():
            log.info("%s received: shutting down", signal.Signals(signum).name)
        shut_down()

    service.on_lost = shut_down
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            service.start()
        except LeaseHeld as exc:
            from models.clock import vn_time
            lease = exc.lease
            typer.echo(say(
                f"lỗi: một bộ lập lịch khác đang giữ cơ sở dữ liệu này: {lease.holder} (từ "
                f"{vn_time(lease.acquired_at):%d/%m/%Y %H:%M}; quyền giữ hết hạn lúc "
                f"{vn_time(lease.expires_at):%d/%m/%Y %H:%M:%S}, giờ Việt Nam, nếu không được gia hạn). Mỗi cơ sở dữ "
                "liệu chỉ chạy một bộ lập lịch (hai bộ sẽ chạy mỗi việc hai lần): hãy dừng bộ kia trước; quyền giữ "
                "của một bộ đã ngừng đột ngột tự hết hạn.",
                f"error: {exc}. Only one scheduler may run per database (two would run every job twice): "
                "stop the other one first; a crashed one's lease expires by itself."), err=True)
            raise typer.Exit(1) from None
        try:
            if application is not None:
                import uvicorn

                from dondoc.web.hardening import server_config
                host, port = host or context.settings.web_host, port or context.settings.web_port
                server = uvicorn.Server(server_config(application, host=host, port=port, log_config=None,
                                                      log_level="warning"))
                log.info("dashboard on http://%s:%s/", host, port)
                server.run()
            else:
                while not stop.wait(0.5):
                    pass
        finally:
            service.stop()
            log.info("dondoc serve stopped")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if service.lost:
        raise typer.Exit(1)


def _serve_prefect(context) -> None:
    """The flows as deployments served by this process (no work pool): Prefect's own scheduler."""
    from dondoc.app import jobs
    from flows import prepare_prefect
    prepare_prefect(context.settings)
    from prefect import serve as prefect_serve

    from flows import runtime
    from flows.deployments import to_deployments
    runtime.use(context)
    deployments = to_deployments(jobs.scheduled_jobs(context, jobs.load_policy(context)),
                                 context.settings.prefect_deployment_name)
    log.info("dondoc serve starting (engine prefect): %s", ", ".join(f"{d.flow_name}/{d.name}" for d in deployments))
    try:
        prefect_serve(*deployments)
    finally:
        runtime.use(None)
        log.info("dondoc serve stopped")


def _plan_inputs_due(context) -> str | None:
    from models.plan import Plan
    with Session(context.engine) as session:
        plans = session.exec(select(Plan)).all()
    return plans[0].review_inputs_due if len(plans) == 1 else None


@schedule_app.command("list")
@handles_errors
def schedule_list(ctx: typer.Context, today: date = TodayOption,
                  fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv.")) -> None:
    """Every scheduled job, its times (Asia/Ho_Chi_Minh), its next run; for review jobs the next day
    it acts; the last run the service recorded."""
    from dondoc.app import jobs
    from dondoc.app.scheduling import acts_on, next_fire
    from dondoc.app.service import BASELINE
    from models.clock import SystemClock
    from models.scheduler import current_lease, last_runs

    context = ctx.obj
    policy = jobs.load_policy(context)
    now = context.clock(today).now()
    inputs_due = _plan_inputs_due(context)
    done = last_runs(context.engine)
    rows = []
    for spec in jobs.scheduled_jobs(context, policy):
        upcoming = next_fire(spec, now)
        last = done.get(spec.id)
        if last is not None and last.summary == BASELINE:
            last = None
        rows.append(dict(job=spec.id, title=spec.title, schedule=spec.schedule, crons=list(spec.crons),
                         timezone="Asia/Ho_Chi_Minh",
                         next_run=upcoming.strftime("%d/%m/%Y %H:%M") if upcoming else None,
                         acts_on=acts_on(spec, policy, now=now, plan_inputs_due=inputs_due),
                         last_run=last.day if last else None, last_summary=last.summary if last else None))
    if fmt == Format.json:
        emit(rows, fmt, [])
        return
    emit(rows, fmt, [("job", "Việc / job"), ("schedule", "Lịch (giờ Việt Nam)"), ("next_run", "Lần chạy tới"),
                     ("acts_on", "Ngày thực hiện"), ("last_run", "Lần chạy trước")],
         title=f"Lịch chạy tự động / scheduled jobs, {now:%d/%m/%Y %H:%M}", formatters={"next_run": lambda v: v or "—"})
    if fmt != Format.table:
        return  # csv stays a table a spreadsheet reads; `dondoc status` says who holds the lease
    lease = current_lease(context.engine)
    if lease is None:
        typer.echo(say("Bộ lập lịch: không chạy trên cơ sở dữ liệu này (khởi động bằng `dondoc serve`).",
                       "Scheduler: not running on this database (start it with `dondoc serve`)."))
    elif lease.expires_at < SystemClock().now():  # a lease is about processes: the wall clock
        expired = f"{show_date(lease.expires_at)} {lease.expires_at:%H:%M} UTC"
        typer.echo(say(f"Bộ lập lịch: không chạy; {lease.holder} đã dừng mà không trả quyền giữ lịch (hết hạn {expired}).",
                       f"Scheduler: not running; {lease.holder} stopped without releasing its lease (expired {expired})."))
    else:
        since = f"{show_date(lease.acquired_at)} {lease.acquired_at:%H:%M} UTC"
        typer.echo(say(f"Bộ lập lịch: {lease.holder}, từ {since}, giữ lịch đến {lease.expires_at:%H:%M:%S} UTC.",
                       f"Scheduler: {lease.holder}, since {since}, lease until {lease.expires_at:%H:%M:%S} UTC."))


@app.command("deploy")
@handles_errors
def deploy(ctx: typer.Context,
           pool: str = typer.Option(None, "--pool", help="Work pool (created as a process pool if missing). "
                                                         "Default: DONDOC_PREFECT_WORK_POOL (dondoc)."),
           name: str = typer.Option(None, "--name", help="Deployment name, e.g. the province: bac-kan. "
                                                         "Default: DONDOC_PREFECT_DEPLOYMENT_NAME (dondoc).")) -> None:
    """Register the scheduled flows as Prefect deployments, with the same schedules as `dondoc serve`, on
    the Prefect server named by PREFECT_API_URL, into a work pool that workers take runs from."""
    from dondoc.app import jobs
    from flows import prepare_prefect

    context = ctx.obj
    if not os.environ.get("PREFECT_API_URL"):
        raise InputError("set PREFECT_API_URL to your Prefect server's API, e.g. http://prefect.example:4200/api "
                         "(`dondoc serve --engine prefect` needs no server of yours)", field="PREFECT_API_URL",
                         vi="hãy đặt PREFECT_API_URL là API của máy chủ Prefect, ví dụ "
                            "http://prefect.example:4200/api (`dondoc serve --engine prefect` không cần máy chủ riêng)")
    pool = pool or context.settings.prefect_work_pool
    name = name or context.settings.prefect_deployment_name
    policy = jobs.load_policy(context)
    prepare_prefect(context.settings)
    import httpx

    from flows.deployments import deploy as deploy_flows, ensure_work_pool, runs_environment
    try:
        created = ensure_work_pool(pool)
        made = deploy_flows(jobs.scheduled_jobs(context, policy), name=name, pool=pool,
                            environment=runs_environment(context.settings))
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        raise InputError(f"the Prefect server at {os.environ['PREFECT_API_URL']} did not answer: {exc}",
                         field="PREFECT_API_URL",
                         vi=f"máy chủ Prefect ở {os.environ['PREFECT_API_URL']} không trả lời: {exc}") from None
    typer.echo(f"Work pool {pool}{' (created, type process)' if created else ''}:")
    for deployment, schedule in made:
        typer.echo(f"  {deployment}: {schedule} (Asia/Ho_Chi_Minh)")
    typer.echo(f"Start workers with: prefect worker start --pool {pool}")
