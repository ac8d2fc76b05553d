"""A page per agency (its tasks, their status, its focal points, its calendar feed); the list of
agencies for Alliance staff; "my tasks" for a focal point."""
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from dondoc.web import context_of, page, plan_now
from dondoc.web.access import User, require_agency, signed_in, staff
from dondoc.web.calendar import calendar_url
from models.agency import Agency, FocalPoint
from models.dashboard import category_counts, on_time_by_agency
from models.inbound import dead_addresses
from models.queries import list_tasks

router = APIRouter()


@router.get("/agencies", dependencies=[Depends(staff)])
def agencies(request: Request):
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        rates = {r.code: r for r in on_time_by_agency(session, now=now)}
        rows = session.exec(select(Agency).order_by(Agency.kind, Agency.name_vi)).all()
    return page(request, "agencies.html", agencies=rows, rates=rates)


@router.get("/my")
def my_tasks(request: Request, user: User = Depends(signed_in)):
    if user.is_staff:
        return RedirectResponse("/overview", status_code=303)
    if len(user.agency_codes) == 1:
        return RedirectResponse(f"/agencies/{user.agency_codes[0]}", status_code=303)
    return page(request, "my.html", codes=user.agency_codes)


@router.get("/agencies/{code}")
def agency(request: Request, code: str, user: User = Depends(signed_in)):
    now = plan_now(request)
    context = context_of(request)
    with Session(context.engine) as session:
        found = session.exec(select(Agency).where(Agency.code == code)).first()
        if found is None:
            # Staff learn it does not exist; a focal point is refused like for any other agency.
            if user.is_staff:
                raise HTTPException(404)
            require_agency(user, -1)
        require_agency(user, found.id)
        counts = category_counts(session, now=now, agency_id=found.id)
        tasks = list_tasks(session, now=now, agency_code=code)
        people = session.exec(select(FocalPoint).where(FocalPoint.agency_id == found.id,
                                                       FocalPoint.active == True)).all()  # noqa: E712
        # A focal point reaches the review form of an open cycle from here (a fresh link each time).
        from dondoc.web.reviews import open_request_for
        open_review = None if user.is_staff else open_request_for(session, found.id, context.clock().now())
        review_year = open_review[1].year if open_review else None
        bounced = {dead.email.lower(): dead for dead in dead_addresses(session, agency_id=found.id)}
    return page(request, "agency.html", agency=found, counts=counts, tasks=tasks, people=people,
                feed=calendar_url(context.settings, code), review_year=review_year, bounced=bounced)
