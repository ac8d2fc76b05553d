"""dondoc review open|status|chase|submit|template|report: the annual review by hand."""
import json
from datetime import date
from pathlib import Path

import typer
from sqlmodel import Session

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors, say
from dondoc.cli.output import Format, emit, show_date
from dondoc.cli.remind import run_flow, stop_if_interrupted
from models.db import transaction
from models.review.tables import Channel
from models.review.inputs import ReviewInvalid
from models.review.operations import (
    SubmissionRefused, accept_submission, check_year, cycle_phase, find_plan, form_for, request_of, require_cycle,
    status_rows,
)

review_app = typer.Typer(help="The annual review (section 4.2): open it, see who reported, chase, take inputs, "
                              "compile the báo cáo sơ kết.", no_args_is_help=True)
app.add_typer(review_app, name="review")

PlanOption = typer.Option(None, "--plan", help="The plan's code (needed only when several are loaded).")
AgencyOption = typer.Option(..., "--agency", help="The reporting agency's code, e.g. SKHDT or BA-BE.")
YearArgument = typer.Argument(..., help="The year under review, e.g. 2015.", min=1900, max=2200)

PHASES = {"not_open": "chưa mở", "collecting": "đang nhận báo cáo", "past_due": "đã quá hạn nộp (vẫn nhận báo cáo muộn)",
          "closed": "đã kết thúc"}


def _plan_and_year(session, plan: str | None, year: int):
    found = find_plan(session, plan)
    check_year(found, year)
    return found


@review_app.command("open")
@handles_errors
def open_(ctx: typer.Context, year: int = YearArgument, today: date = TodayOption, plan: str = PlanOption) -> None:
    """Open the year's review: one request per reporting agency, its link emailed to its focal points."""
    context = ctx.obj
    day = context.clock(today).now().date()
    with Session(context.engine) as session:
        _plan_and_year(session, plan, year)
    result = run_flow(context, "review-open", day=day, year=year, plan=plan)
    typer.echo(say(f"Sơ kết năm {year} {'đã mở' if result['opened'] else 'đã mở từ trước'}: {result['requests']} thư đề nghị "
                   f"vào hàng đợi, {result['sent']} đã gửi.",
                   f"Review {year} {'opened' if result['opened'] else 'was already open'}: {result['requests']} request "
                   f"emails queued, {result['sent']} sent."))
    if result["without_focal_point"]:
        typer.echo(say(f"  không có đầu mối để gửi thư: {', '.join(result['without_focal_point'])} "
                       "(thêm vào danh bạ cơ quan)",
                       f"  no focal point to email for: {', '.join(result['without_focal_point'])} "
                       "(add them to the agency directory)"), err=True)
    stop_if_interrupted(context)


@review_app.command("chase")
@handles_errors
def chase(ctx: typer.Context, year: int = YearArgument, today: date = TodayOption, plan: str = PlanOption) -> None:
    """Today's chasers to agencies that have not reported (and, after the deadline, the missing list)."""
    context = ctx.obj
    day = context.clock(today).now().date()
    with Session(context.engine) as session:
        require_cycle(session, _plan_and_year(session, plan, year), year)
    result = run_flow(context, "review-chase", day=day, year=year, plan=plan)
    typer.echo(say(f"{show_date(day)}: {result['chasers']} thư nhắc nộp và {result['missing_lists']} danh sách chưa nộp "
                   f"vào hàng đợi, {result['sent']} đã gửi.",
                   f"{show_date(day)}: {result['chasers']} chasers and {result['missing_lists']} missing lists queued, "
                   f"{result['sent']} sent."))
    stop_if_interrupted(context)


@review_app.command("status")
@handles_errors
def status(ctx: typer.Context, year: int = YearArgument, today: date = TodayOption, plan: str = PlanOption,
           fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv.")) -> None:
    """Who has submitted, who is late, who is missing."""
    context = ctx.obj
    now = context.clock(today).now()
    with Session(context.engine) as session:
        cycle = require_cycle(session, _plan_and_year(session, plan, year), year)
        rows = [r.as_dict() for r in status_rows(session, cycle, now)]
        phase = cycle_phase(cycle, now)
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("submitted", "submitted_late", "waiting", "missing")}
    title = (f"Sơ kết năm {year} — hạn nộp {show_date(cycle.inputs_due)}, {PHASES[phase]}: "
             f"{counts['submitted']} đúng hạn, {counts['submitted_late']} muộn, "
             f"{counts['waiting'] + counts['missing']} chưa nộp / {len(rows)}")
    if fmt == Format.json:
        typer.echo(json.dumps(dict(year=year, phase=phase, inputs_due=cycle.inputs_due.isoformat(), counts=counts,
                                   agencies=rows), ensure_ascii=False, indent=2))
        return
    for r in rows:
        r["submitted_on"] = date.fromisoformat(r["submitted_at"][:10]) if r["submitted_at"] else None
    emit(rows, fmt, [("code", "Mã"), ("name", "Đơn vị"), ("label", "Tình trạng"), ("submitted_on", "Ngày nộp"),
                     ("channel", "Kênh"), ("submissions", "Số lần nộp")], title=title,
         formatters={"submissions": str, "channel": lambda v: v or ""})


@review_app.command("submit")
@handles_errors
def submit_(ctx: typer.Context, year: int = YearArgument, agency: str = AgencyOption,
            file: Path = typer.Option(..., "--file", help="The inputs: .json, .yaml or the filled .xlsx template."),
            today: date = TodayOption, plan: str = PlanOption) -> None:
    """Record an agency's review inputs from a file (the same checks as the web form)."""
    from dondoc.documents.review_template import as_input_error, read_submission

    context = ctx.obj
    now = context.clock(today).now()
    raw, where = read_submission(file)
    with transaction(context.engine) as session:
        cycle = require_cycle(session, _plan_and_year(session, plan, year), year)
        form = form_for(session, request_of(session, cycle, agency), now)
        channel = Channel.XLSX if file.suffix.lower() == ".xlsx" else Channel.CLI
        try:
            accepted = accept_submission(session, form, raw, now=now, actor=context.actor, channel=channel,
                                         source_name=file.name)
        except SubmissionRefused as refused:
            raise InputError(refused.message, field="--agency", vi=refused.vi) from None
        except ReviewInvalid as invalid:
            raise as_input_error(invalid, where) from None
    late = accepted.submission.late
    inputs = accepted.inputs
    typer.echo(say(f"{agency}: đã ghi nhận sơ kết năm {year}{' (nộp muộn)' if late else ''} từ {file.name} — "
                   f"{len(inputs.tasks)} nhiệm vụ, {len(inputs.indicators)} chỉ tiêu"
                   f"{'; thay cho lần nộp trước' if accepted.replaced else ''}.",
                   f"{agency}: review {year} recorded{' (late)' if late else ''} from {file.name} — "
                   f"{len(inputs.tasks)} tasks, {len(inputs.indicators)} indicators"
                   f"{'; replaces the earlier submission' if accepted.replaced else ''}."))


@review_app.command("template")
@handles_errors
def template(ctx: typer.Context, year: int = YearArgument, agency: str = AgencyOption,
             out: Path = typer.Option(..., "--out", help="Where to write the .xlsx template."),
             today: date = TodayOption, plan: str = PlanOption) -> None:
    """An agency's XLSX template, prefilled with its tasks for the year, to fill in offline."""
    from dondoc.documents.review_template import write_template

    if out.suffix.lower() != ".xlsx":
        raise InputError("the template is an .xlsx file", path=out, field="--out", vi="mẫu biểu là tệp .xlsx")
    from dondoc.documents.files import check_writable
    check_writable(out)
    context = ctx.obj
    now = context.clock(today).now()
    with Session(context.engine) as session:
        cycle = require_cycle(session, _plan_and_year(session, plan, year), year)
        form = form_for(session, request_of(session, cycle, agency), now)
        write_template(form, out)
    typer.echo(say(f"{agency}: đã ghi mẫu sơ kết năm {year} vào {out} ({len(form.lines)} nhiệm vụ).",
                   f"{agency}: template for the {year} review written to {out} ({len(form.lines)} tasks)."))


@review_app.command("report")
@handles_errors
def report(ctx: typer.Context, year: int = YearArgument,
           out: list[Path] = typer.Option(..., "--out", help="The report file: .docx, .xlsx or .md (repeatable)."),
           targets: Path = typer.Option(None, "--targets", help="The section-1.3 targets file "
                                        "(default: the config/plans/*.targets.yaml of the plan)."),
           today: date = TodayOption, plan: str = PlanOption) -> None:
    """Compile the báo cáo sơ kết: summary, each agency, indicators against targets, overdue, proposals."""
    from dondoc.documents.bao_cao import check_report_suffix
    from dondoc.documents.files import check_writable

    for path in out:
        check_report_suffix(path)
        check_writable(path)  # before the flow, not after the report was compiled
    context = ctx.obj
    day = context.clock(today).now().date()
    with Session(context.engine) as session:
        require_cycle(session, _plan_and_year(session, plan, year), year)
    if targets is not None:
        from config.targets import read_targets
        read_targets(targets)  # a bad file is refused before the flow starts
    written = run_flow(context, "review-compile", year=year, day=day, outs=[str(p) for p in out], plan=plan,
                       targets=str(targets) if targets else None)
    for path in written:
        typer.echo(say(f"Đã ghi báo cáo sơ kết năm {year} vào {path}", f"Báo cáo sơ kết năm {year} written to {path}"))
    stop_if_interrupted(context)
