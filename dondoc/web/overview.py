"""The overview for Alliance staff: duties (and plan entries, and periods) in the four categories and
apart those without a deadline, the on-time rate per agency, and each year's duties (CSS bars, no
JavaScript). Every figure as of the page's day, from models/status.py."""
from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, select

from dondoc.web import context_of, page, plan_now
from dondoc.web.access import staff
from models.dashboard import completions_by_year, on_time_by_agency, status_summary
from models.inbound import dead_addresses
from models.loading import leads_without_recipients
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
        summary = status_summary(session, now=now, plan_id=plan_id)
        rates = on_time_by_agency(session, now=now, summary=summary)
        years = completions_by_year(session, now=now, plan_id=plan_id)
        dead = dead_addresses(session)
        from models.task_work import open_explanations, pending_extensions
        explanations, extensions = open_explanations(session), pending_extensions(session)
        nobody = [(plan.code, code, refs) for plan in plans
                  for code, refs in leads_without_recipients(session, plan)]
        plan_list = [(p.code, p.title) for p in plans]
    widest = max((y.total for y in years), default=0) or 1
    counts = {category: summary.duties[category] for category in COUNTED}
    return page(request, "overview.html", counts=counts, total=sum(counts.values()), summary=summary, four=FOUR,
                no_deadline=StatusCategory.NO_DEADLINE,
                rates=rates, years=years, widest=widest, dead=dead, nobody=nobody, explanations=explanations,
                extensions=extensions, plans=plan_list, chosen_plan=chosen.code if chosen else None)
