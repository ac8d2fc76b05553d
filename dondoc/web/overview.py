"""The overview for Alliance staff: duties (and plan entries, and periods) in the four categories and
apart those without a deadline, the on-time rate per agency, and each year's duties (CSS bars, no
JavaScript). Every figure as of the page's day, from models/status.py."""
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, select

from dondoc.web import context_of, language, page, plan_now
from dondoc.web.access import staff
from dondoc.web.charts import Bar, quarters_chart, rate_chart
from models.agency import AgencyKind
from models.dashboard import OverdueFilter, agencies_with_tasks, on_time_by_agency, overdue_page, overview_figures
from models.inbound import dead_addresses
from models.loading import leads_without_recipients
from models.numbers import number
from models.plan import Plan
from models.status import COUNTED, FOUR, StatusCategory

router = APIRouter()


@router.get("/overview", dependencies=[Depends(staff)])
def overview(request: Request):
    """?plan=CODE: one plan's figures (the plan is named in the heading); default: every plan's."""
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        plans = session.exec(select(Plan).order_by(Plan.code)).all()
        chosen = next((p for p in plans if p.code == request.query_params.get("plan")), None)
        plan_id = chosen.id if chosen else None
        figures = overview_figures(session, now=now, plan_id=plan_id)  # every occurrence read once, streamed
        summary, years, quarters = figures.summary, figures.years, figures.quarters
        rates = on_time_by_agency(session, now=now, summary=summary)
        dead = dead_addresses(session)
        from models.task_work import open_explanations, pending_extensions
        explanations, extensions = open_explanations(session), pending_extensions(session)
        nobody = [(plan.code, code, refs) for plan in plans
                  for code, refs in leads_without_recipients(session, plan)]
        districts = {a.code for a in agencies_with_tasks(session, kind=AgencyKind.DISTRICT)}
        longest = overdue_page(session, now=now, flt=OverdueFilter(sort="due", plan=chosen.code if chosen else None),
                               page=1, page_size=10).items
        plan_list = [(p.code, p.title) for p in plans]
    widest = max((y.total for y in years), default=0) or 1
    counts = {category: summary.duties[category] for category in COUNTED}
    lang = language(request)
    return page(request, "overview.html", counts=counts, total=sum(counts.values()), summary=summary, four=FOUR,
                no_deadline=StatusCategory.NO_DEADLINE, longest=longest,
                charts=_charts(summary, rates, districts, quarters, lang, chosen.code if chosen else None),
                rates=rates, years=years, widest=widest, dead=dead, nobody=nobody, explanations=explanations,
                extensions=extensions, plans=plan_list, chosen_plan=chosen.code if chosen else None)


def _percent(tally) -> float | None:
    rate = tally.on_time_rate
    return None if rate is None else round(100 * rate, 1)


def _charts(summary, rates, districts: set[str], quarters, lang: str, plan: str | None = None) -> dict:
    """The overview's four charts (dondoc/web/charts.py), each bar linking to the list behind it (of the
    plan chosen, if one is)."""
    en = lang == "en"
    of_plan = {"plan": plan} if plan else {}

    def agency_bar(rate) -> Bar:
        return Bar(rate.name_en if en else rate.name_vi, round(100 * rate.rate, 1),
                   f"/overdue?{urlencode(dict(**of_plan, agency=rate.code))}",
                   f"{number(rate.on_time, lang)} / {number(rate.due_so_far, lang)}")

    sections = sorted(((s, t) for s, t in summary.by_section.items() if t.due_so_far),
                      key=lambda item: [int(p) if p.isdigit() else p for p in item[0].split(".")])
    names = {c: c.label(lang) for c in FOUR}
    return dict(
        agencies=rate_chart([agency_bar(r) for r in rates], "chart-agencies",
                            "On-time rate per lead agency (%)" if en else "Tỷ lệ đúng hạn theo cơ quan chủ trì (%)"),
        districts=rate_chart([agency_bar(r) for r in rates if r.code in districts], "chart-districts",
                             "On-time rate per district (%)" if en else "Tỷ lệ đúng hạn theo huyện, thành phố (%)"),
        sections=rate_chart([Bar(f"{'Section' if en else 'Mục'} {section}", _percent(tally),
                                 f"/overdue?{urlencode(dict(**of_plan, section=section))}",
                                 f"{number(tally[StatusCategory.DONE_ON_TIME], lang)} / "
                                 f"{number(tally.due_so_far, lang)}")
                             for section, tally in sections], "chart-sections",
                            "On-time rate per plan section (%)" if en else "Tỷ lệ đúng hạn theo mục của Kế hoạch (%)"),
        quarters=quarters_chart([(label if en else _quarter_vi(period), counts,
                                  f"/reports/download?{urlencode(dict(period=period, format='xlsx'))}")
                                 for label, period, counts in quarters], "chart-quarters",
                                "Duties by quarter" if en else "Nhiệm vụ theo quý", names),
    )


def _quarter_vi(period: str) -> str:
    """"2016-Q1" -> "Quý I/2016", as the báo cáo names a quarter."""
    year, quarter = period.split("-Q")
    return f"Quý {('I', 'II', 'III', 'IV')[int(quarter) - 1]}/{year}"
