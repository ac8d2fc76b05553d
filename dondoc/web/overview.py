"""The overview for Alliance staff: counts per status category, on-time rate per agency, and
on-time and late completions per year (CSS bars, no JavaScript)."""
from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from dondoc.web import context_of, page, plan_now
from dondoc.web.access import staff
from models.dashboard import category_counts, completions_by_year, on_time_by_agency
from models.inbound import dead_addresses

router = APIRouter()


@router.get("/overview", dependencies=[Depends(staff)])
def overview(request: Request):
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        counts = category_counts(session, now=now)
        rates = on_time_by_agency(session, now=now)
        years = completions_by_year(session, now=now)
        dead = dead_addresses(session)
    widest = max((y.total for y in years), default=0) or 1
    return page(request, "overview.html", counts=counts, total=sum(counts.values()), rates=rates, years=years,
                widest=widest, dead=dead)
