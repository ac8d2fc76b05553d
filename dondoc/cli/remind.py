"""dondoc remind / outbox / simulate: the daily reminder job, what it sent, and time travel."""
import json
from datetime import date, timedelta

import typer

from dondoc.app import interrupt, jobs
from dondoc.cli import DATE_METAVAR, TodayOption, app, handles_errors, parse_day, say
from dondoc.cli.output import Format, emit, labelled, language, show_date
from models.outbox_values import MessageStatus

FormatOption = typer.Option(Format.table, "--format", help="table, json or csv.")


def run_flow(context, name: str, **parameters):
    """Run one of our Prefect flows in this process, with this command's context."""
    import asyncio
    import inspect

    from flows import FLOWS, flow_for, prepare_prefect, temporary_server
    if name not in FLOWS:
        raise ValueError(name)
    prepare_prefect(context.settings)
    # Without a configured Prefect server: start the temporary one now, to boot while we import.
    server = temporary_server.start() if temporary_server.is_wanted() else None
    from flows import runtime
    runtime.use(context)
    try:
        chosen = flow_for(name)
        with temporary_server.runs_on(server), interrupt.cooperative():  # Ctrl-C: stop at the next safe point
            if inspect.iscoroutinefunction(chosen.fn):
                return asyncio.run(chosen(**parameters))
            return chosen(**parameters)
    finally:
        runtime.use(None)


def stop_if_interrupted(context) -> None:
    """After a flow that sends mail: if Ctrl-C stopped it, say what happened and exit 130 (dondoc main
    then leaves at once). What was sent is recorded; the claims were given back, due at the next run."""
    if not interrupt.requested():
        return
    waiting = jobs.undelivered(context).describe(language())
    typer.echo(say("Đã dừng (Ctrl-C): những thư đã gửi được ghi nhận; thư chưa gửi trở lại hàng đợi, gửi ở lần chạy sau. ",
                   "Stopped (Ctrl-C): what was sent is recorded; the rest is back in the queue for the next run. ")
               + waiting, err=True)
    raise typer.Exit(interrupt.EXIT_INTERRUPTED)


@app.command("remind")
@handles_errors
def remind(ctx: typer.Context, today: date = TodayOption,
           dry_run: bool = typer.Option(False, "--dry-run", help="Show who would get what; write nothing.")) -> None:
    """The daily reminder job: queue today's digests and deliver the outbox."""
    context = ctx.obj
    day = context.clock(today).now().date()
    if dry_run:
        planned = jobs.plan_reminders(context, day)
        if not planned.working_day:
            typer.echo(say(f"{show_date(day)} không phải ngày làm việc: không gửi thư nào.",
                           f"{show_date(day)} is not a working day: no email goes out."))
            return
        rows = [dict(email=d.email, name=d.name, language=d.language,
                     **{section: len(items) for section, items in d.sections().items()},
                     summary=d.summary_total) for d in planned.digests]
        emit(rows, Format.table, [("email", ("Người nhận", "To")), ("overdue", ("Quá hạn", "Overdue")),
                                  ("due_today", ("Đến hạn", "Due today")), ("due_soon", ("Sắp đến hạn", "Due soon")),
                                  ("fyi", ("Phối hợp", "Coordinating")), ("summary", ("Tổng hợp", "Summary"))],
             title=(f"Chạy thử {show_date(day)}: {len(rows)} thư nhắc sẽ vào hàng đợi (không ghi gì)",
                    f"Dry run {show_date(day)}: {len(rows)} digests would be queued (nothing written)"),
             formatters={k: str for k in ("overdue", "due_today", "due_soon", "fyi", "summary")})
        return
    with context.engine.connect() as connection:  # before the flow starts (its task would only fail)
        jobs.refuse_an_earlier_day(connection, day)
    work = jobs.reminder_work(context, day)
    if not work:  # nothing to queue or send: no flow, no Prefect
        waiting = jobs.undelivered(context).describe(language())
        typer.echo(say(f"{show_date(day)}: hiện không có gì để gửi (thư nhắc hôm nay đã vào hàng đợi, chưa thư nào đến lượt gửi).",
                       f"{show_date(day)}: nothing to send now (today's digests are queued already, no message is due)."))
        if waiting:  # queued for a retry later: not delivered yet, which whoever watches the exit code must see
            typer.echo(say("lỗi: ", "error: ") + waiting, err=True)
            raise typer.Exit(1)
        return
    result = run_flow(context, "send-reminders", day=day)
    if result["waiting"]:  # the flow said it in the log's language: the same, in the CLI's
        result["waiting"] = jobs.undelivered(context).describe(language())
    typer.echo(say(f"{show_date(day)}: {result['queued']} thư nhắc vào hàng đợi; {result['sent']} đã gửi, "
                   f"{result['retrying']} sẽ gửi lại, {result['failed']} gửi lỗi.",
                   f"{show_date(day)}: {result['queued']} digests queued; {result['sent']} sent, "
                   f"{result['retrying']} to retry, {result['failed']} failed."))
    if result["errors"]:
        from notifications.delivery_errors import explain_line
        for error in result["errors"]:
            typer.echo(f"  {explain_line(error, language())}", err=True)
    stop_if_interrupted(context)
    if result["retrying"] or result["failed"] or result["waiting"]:
        # Any message not delivered is a failed run for whoever watches the exit code (cron, systemd).
        problems = [result["waiting"] or say("có thư chưa gửi được", "some messages were not delivered")]
        if result["failed"]:
            problems.append(say(f"{result['failed']} thư gửi lỗi, không gửi lại (dondoc outbox --status failed)",
                                f"{result['failed']} failed for good (dondoc outbox --status failed)"))
        typer.echo(say("lỗi: ", "error: ") + "; ".join(problems), err=True)
        raise typer.Exit(1)


@app.command("simulate")
@handles_errors
def simulate(ctx: typer.Context,
             start: date = typer.Option(..., "--from", parser=parse_day, metavar=DATE_METAVAR,
                                        help="The first day to run (dd/mm/yyyy or YYYY-MM-DD)."),
             end: date = typer.Option(..., "--to", parser=parse_day, metavar=DATE_METAVAR,
                                      help="The last day to run, included (dd/mm/yyyy or YYYY-MM-DD)."),
             fmt: Format = typer.Option(Format.table, "--format",
                                        help="table (a summary), json (every day's report) or csv (one row a day)."),
             demo_agencies: bool = typer.Option(
                 False, "--demo-agencies",
                 help="Simulated agencies answer the annual review (some on time, some late, some never; fixed seed), "
                      "ask for extensions and report completions that staff return, recorded as simulated:<code>.")) -> None:
    """Run every daily job for each day in order, as if time passed (for demos and rehearsals).
    The annual review opens, chases and compiles on its dates."""
    from config.errors import InputError
    if end < start:
        raise InputError("--to is before --from", field="--to", vi="--to trước --from")
    context = ctx.obj
    reports = run_flow(context, "simulate", start=start, end=end, demo_agencies=demo_agencies)
    stopped = interrupt.requested()
    if fmt == Format.json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    elif fmt == Format.csv:
        emit([dict(r, day=date.fromisoformat(r["day"]), working_day="1" if r["working_day"] else "0") for r in reports],
             fmt, [("day", ("Ngày", "Day")), ("working_day", ("Ngày làm việc", "Working day")),
                   ("queued", ("Xếp hàng", "Queued")), ("sent", ("Đã gửi", "Sent")),
                   ("retrying", ("Gửi lại", "Retrying")), ("failed", ("Thất bại", "Failed"))], formatters={k: str for k in ("queued", "sent", "retrying", "failed")})
    else:
        _simulation_summary(reports, start, end)
    if stopped:
        last = date.fromisoformat(reports[-1]["day"]) if reports else None
        done = (say(f"các ngày {show_date(start)} → {show_date(last)} đã chạy xong và được lưu",
                    f"the days {show_date(start)} → {show_date(last)} ran and are saved") if last
                else say("chưa chạy ngày nào", "no day was run"))
        resume = last + timedelta(days=1) if last else start
        typer.echo(say(f"Đã dừng (Ctrl-C): {done}; chạy tiếp: dondoc simulate --from {show_date(resume)} --to {show_date(end)}",
                       f"Stopped (Ctrl-C): {done}; to go on: dondoc simulate --from {show_date(resume)} --to {show_date(end)}"),
                   err=True)
        waiting = jobs.undelivered(context).describe(language())
        if waiting:
            typer.echo(f"  {waiting}", err=True)
        raise typer.Exit(interrupt.EXIT_INTERRUPTED)


def _simulation_summary(reports: list[dict], start: date, end: date) -> None:
    busy = [r for r in reports if r["queued"] or r["sent"] or r["failed"]]
    total = {k: sum(r[k] for r in reports) for k in ("queued", "sent", "retrying", "failed")}
    working = sum(r['working_day'] for r in reports)
    typer.echo(say(f"Đã mô phỏng {show_date(start)} → {show_date(end)}: {len(reports)} ngày ({working} ngày làm việc), "
                   f"{total['queued']} thư nhắc vào hàng đợi, {total['sent']} đã gửi, {total['failed']} gửi lỗi.",
                   f"Simulated {show_date(start)} → {show_date(end)}: {len(reports)} days ({working} working), "
                   f"{total['queued']} digests queued, {total['sent']} sent, {total['failed']} failed."))
    reviews = [r["review"] for r in reports if r.get("review")]
    for r in reviews:
        day = show_date(date.fromisoformat(r["day"]))
        if r["opened"]:
            typer.echo(say(f"  {day}: mở đợt sơ kết hằng năm, gửi {r['requests']} đề nghị báo cáo",
                           f"  {day}: annual review opened, {r['requests']} requests emailed"))
        if r["simulated_submissions"]:
            typer.echo(say(f"  {day}: {r['simulated_submissions']} cơ quan mô phỏng đã nộp báo cáo sơ kết",
                           f"  {day}: {r['simulated_submissions']} simulated agencies submitted their review"))
        for path in r["reports"]:
            typer.echo(say(f"  {day}: đã ghi báo cáo sơ kết vào {path}", f"  {day}: review report written to {path}"))
    work = [(r["day"], r["work"]) for r in reports if r.get("work")]
    if work:
        sums = {k: sum(w[k] for _, w in work) for k in work[0][1]}
        typer.echo(say(f"  Cơ quan mô phỏng: {sums['extensions_asked']} đề nghị gia hạn ({sums['extensions_approved']} "
                       f"đồng ý, {sums['extensions_refused']} không đồng ý), {sums['completions']} báo cáo hoàn thành, "
                       f"{sums['returned']} bị cán bộ trả lại (dondoc task requests)",
                       f"  Simulated agencies: {sums['extensions_asked']} extensions asked ({sums['extensions_approved']} "
                       f"approved, {sums['extensions_refused']} refused), {sums['completions']} completions reported, "
                       f"{sums['returned']} returned by staff (dondoc task requests)"))
    for r in busy[:10]:
        typer.echo(f"  {show_date(date.fromisoformat(r['day']))}: {r['queued']} "
                   + say(f"vào hàng đợi, {r['sent']} đã gửi", f"queued, {r['sent']} sent"))
    if len(busy) > 10:
        typer.echo(say(f"  ... và {len(busy) - 10} ngày khác có thư", f"  ... and {len(busy) - 10} more days with mail"))


@app.command("outbox")
@handles_errors
def outbox(ctx: typer.Context, status: MessageStatus = typer.Option(None, "--status", help="queued, sending, sent or failed."),
           fmt: Format = FormatOption, limit: int = typer.Option(200, help="At most this many, newest first.")) -> None:
    """What went (or will go) to whom, failures and why."""
    from config.errors import InputError
    from config.limits import MAX_LIST_ROWS
    if not 1 <= limit <= MAX_LIST_ROWS:
        raise InputError(f"{limit} is not between 1 and {MAX_LIST_ROWS}", field="--limit",
                         vi=f"{limit} không nằm trong khoảng 1 đến {MAX_LIST_ROWS}")
    from sqlmodel import Session, select

    from models.outbox import Message

    context = ctx.obj
    with Session(context.engine) as session:
        statement = select(Message).order_by(Message.id.desc()).limit(limit)
        if status:
            statement = statement.where(Message.status == status)
        rows = [dict(id=m.id, send_date=m.send_date, kind=m.kind, to=m.recipient_email, name=m.recipient_name,
                     subject=m.subject, status=m.status, attempts=m.attempts, error=m.last_error,
                     smtp_reply=m.smtp_reply, message_id=m.message_id) for m in session.exec(statement)]
    # The stored text stays the transport's (JSON shows it as stored); the table and CSV explain it.
    from notifications.delivery_errors import explain
    reader_language = language()
    emit(rows, fmt, [("send_date", ("Ngày", "Date")), ("kind", ("Loại thư", "Kind")), ("to", ("Người nhận", "To")),
                     ("subject", ("Tiêu đề", "Subject")), ("status", ("Trạng thái", "Status")),
                     ("attempts", ("Lần gửi", "Attempts")), ("error", ("Lỗi", "Error"))],
         title=(f"Hộp thư đi ({len(rows)})", f"Outbox ({len(rows)})"),
         formatters={"attempts": str, "status": labelled("status"), "kind": labelled("kind"),
                     "error": lambda error: explain(error or "", reader_language)})
