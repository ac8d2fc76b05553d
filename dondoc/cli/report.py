"""dondoc report: the báo cáo tình hình thực hiện for a quarter, half year or year, in the form of
Decree 30/2020/NĐ-CP, as .docx, .xlsx or .md (the same document as the annual review's, without the
agencies' submissions)."""
from datetime import date
from pathlib import Path

import typer
from sqlmodel import Session

from config.errors import InputError
from config.organization import read_organization
from config.targets import load_targets
from dondoc.cli import TodayOption, app, handles_errors, say
from dondoc.documents.bao_cao import check_report_suffix, lower_first, write_report
from dondoc.documents.report_content import build_periodic
from models.status import period_window
from models.review.operations import find_plan


@app.command("report")
@handles_errors
def report(ctx: typer.Context,
           period: str = typer.Option(..., "--period", help="2016-Q2 (a quarter), 2016-H1 (a half year) or 2016."),
           out: list[Path] = typer.Option(..., "--out", help="The file to write: .docx, .xlsx or .md (repeatable)."),
           plan: str = typer.Option(None, "--plan", help="The plan code, when several are loaded."),
           today: date = TodayOption) -> None:
    """Write the periodic báo cáo tình hình thực hiện (counts as of --today, by default the period's last day
    or today, whichever comes first)."""
    window = period_window(period)
    if window.start is None:
        raise InputError("name a period: 2016-Q2, 2016-H1 or 2016", field="--period",
                         vi="hãy nêu kỳ báo cáo: 2016-Q2, 2016-H1 hoặc 2016")
    for path in out:
        check_report_suffix(path)
    context = ctx.obj
    now = context.clock(today).now()
    organization = read_organization(context.settings.organization_file)
    with Session(context.engine) as session:
        chosen = find_plan(session, plan)
        content = build_periodic(session, chosen, window, now=now, targets=load_targets(chosen.code, None))
    for path in out:
        write_report(content, path, organization)
        typer.echo(say(f"Đã ghi Báo cáo tình hình thực hiện, {lower_first(window.label)}, vào {path}",
                       f"Báo cáo tình hình thực hiện, {lower_first(window.label)}, written to {path}"))
