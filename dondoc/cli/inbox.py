"""dondoc inbox / bounced: read the reply mailbox now; the addresses that bounced."""
from datetime import date

import typer
from sqlmodel import Session, select

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors, say
from dondoc.cli.output import Format, emit, show_date


@app.command("inbox")
@handles_errors
def inbox(ctx: typer.Context, today: date = TodayOption,
          flow: bool = typer.Option(True, "--flow/--no-flow",
                                    help="Run as the Prefect flow read-inbox (as `dondoc serve` does), or directly.")) -> None:
    """Read the reply mailbox once (DONDOC_IMAP_* or DONDOC_INBOX_MAILDIR): record the replies and
    confirm each, mark bounced messages failed and flag their addresses; move each message to the
    processed folder."""
    from dondoc.app import jobs
    from dondoc.cli.remind import run_flow

    context = ctx.obj
    if not context.settings.reads_inbox:
        raise InputError("no reply mailbox is configured: set DONDOC_IMAP_HOST (with DONDOC_IMAP_USER, "
                         "DONDOC_IMAP_PASSWORD) or DONDOC_INBOX_MAILDIR (see the README, \"Replies and bounces\")",
                         field="DONDOC_IMAP_HOST",
                         vi="chưa cấu hình hộp thư nhận trả lời: hãy đặt DONDOC_IMAP_HOST (cùng DONDOC_IMAP_USER, "
                            "DONDOC_IMAP_PASSWORD) hoặc DONDOC_INBOX_MAILDIR (xem README, \"Replies and bounces\")")
    now = context.clock(today).now()
    report = run_flow(context, "read-inbox", moment=now) if flow else jobs.read_inbox(context, now).as_dict()
    typer.echo(say(f"{show_date(now.date())}: đã đọc {report['read']} thư — {report['replies']} trả lời "
                   f"({report['recorded']} đã ghi nhận, {report['refused']} bị từ chối), {report['bounces']} thư bị trả lại, "
                   f"{report['ignored']} bỏ qua, {report['already']} đã xử lý trước đó; đã gửi {report['sent']} email.",
                   f"{show_date(now.date())}: {report['read']} messages read — {report['replies']} replies "
                   f"({report['recorded']} recorded, {report['refused']} refused), {report['bounces']} bounces, "
                   f"{report['ignored']} ignored, {report['already']} already processed; {report['sent']} emails sent."))
    from dondoc.cli import cli_language
    # A report from before the Vietnamese lines (a flow run by an older worker) has only the English.
    for line in report.get("lines_vi", report["lines"]) if cli_language() == "vi" else report["lines"]:
        typer.echo(f"  {line}")
    for error in report["errors"]:
        typer.echo(say("  lỗi: ", "  error: ") + error, err=True)
    if report["errors"]:
        raise typer.Exit(1)


@app.command("bounced")
@handles_errors
def bounced(ctx: typer.Context, clear: str = typer.Option(None, "--clear", metavar="EMAIL",
                                                         help="The address works again (or was replaced): unflag it."),
            fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv.")) -> None:
    """The addresses whose mail bounced for good (flagged on the agency pages and the overview)."""
    from models.audit import record
    from models.clock import vn_time
    from models.db import transaction
    from models.inbound import BouncedAddress

    context = ctx.obj
    if clear:
        with transaction(context.engine) as session:
            found = session.exec(select(BouncedAddress).where(BouncedAddress.email == clear.strip().lower())).first()
            if found is None:
                raise InputError(f"{clear} is not flagged as bounced", field="--clear",
                                 vi=f"{clear} không bị đánh dấu là thư bị trả lại")
            record(session, at=context.clock().now(), actor=context.actor, entity="bounced_address",
                   entity_id=found.id, field="cleared", old=found.reason, new=None, ref=found.email)
            session.delete(found)
        typer.echo(say(f"{clear}: không còn bị đánh dấu.", f"{clear}: no longer flagged."))
        return
    with Session(context.engine) as session:
        rows = [dict(email=b.email, bounced_at=vn_time(b.bounced_at), reason=b.reason)
                for b in session.exec(select(BouncedAddress).order_by(BouncedAddress.bounced_at.desc()))]
    emit(rows, fmt, [("email", "Địa chỉ"), ("bounced_at", "Ngày"), ("reason", "Lý do")],
         title=f"Địa chỉ email không nhận được thư ({len(rows)})", formatters={"bounced_at": show_date})
