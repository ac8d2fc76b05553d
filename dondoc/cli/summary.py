"""dondoc summary: duties in the four categories (and those without a deadline) for a year, a quarter or
the whole plan, per lead agency or plan section, as of a day: the counts every report and page shows."""
from datetime import date

import typer
from sqlmodel import Session

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors
from dondoc.cli.output import Format, emit, show_date
from models.clock import local_date
from models.dashboard import status_summary
from models.review.operations import find_plan
from models.status import COUNTED, period_window


@app.command("summary")
@handles_errors
def summary(ctx: typer.Context,
            period: str = typer.Option(None, "--period", help="2016, 2016-Q2 or 2016-H1; default: the whole plan."),
            by: str = typer.Option("agency", "--by", help="agency (lead agency) or section (of the plan)."),
            plan: str = typer.Option(None, "--plan", help="The plan code, when several are loaded."),
            today: date = TodayOption,
            fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv.")) -> None:
    """Duties per status category (Hoàn thành đúng hạn / quá hạn; Chưa hoàn thành trong hạn / quá hạn;
    Thường xuyên / không thời hạn), per agency or section, with the totals of duties, plan entries and periods."""
    if by not in ("agency", "section"):
        raise InputError(f"--by takes agency or section, not '{by}'", field="--by",
                         vi=f"--by nhận agency hoặc section, không nhận '{by}'")
    context = ctx.obj
    now = context.clock(today).now()
    window = period_window(period)
    with Session(context.engine) as session:
        chosen = find_plan(session, plan)
        counted = status_summary(session, now=now, window=window, plan_id=chosen.id)
    groups = counted.by_agency if by == "agency" else counted.by_section
    label = (lambda key: counted.agency_names[key][0]) if by == "agency" else (lambda key: key)
    rows = [dict(key=key, name=label(key), **groups[key].as_dict()) for key in sorted(groups, key=label)]
    rows += [dict(key="", name=f"Tổng số ({unit})", **tally.as_dict())
             for unit, tally in (("nhiệm vụ", counted.duties), ("mục của Kế hoạch", counted.entries),
                                 ("kỳ", counted.periods))]
    if counted.extended.with_deadline:  # counted apart as well: duties with a period whose deadline was extended
        rows.append(dict(key="", name="Trong đó đã gia hạn (nhiệm vụ)", **counted.extended.as_dict()))
    scope = window.label or "toàn bộ Kế hoạch"
    emit(rows, fmt, [("key", "Mã"), ("name", "Cơ quan chủ trì" if by == "agency" else "Mục"),
                     *[(c.value, c.label_vi) for c in COUNTED]],
         title=f"{chosen.code}: nhiệm vụ theo tình trạng, {scope} — tính đến ngày {show_date(local_date(now))}",
         formatters={c.value: str for c in COUNTED})
