"""The annual review for Alliance staff (/reviews: each cycle, who submitted on time, late, or not at
all, and what each agency sent), and the way in for a signed-in focal point: a fresh link to their
agency's review form."""
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from dondoc.web import context_of, page, plan_now
from dondoc.web.access import User, require_agency, signed_in, staff
from dondoc.web.security import check_csrf
from models.agency import Agency
from models.db import transaction
from models.plan import Plan
from models.review.rules import INDICATORS, ReportedStatus
from models.review.tables import ReviewCycle, ReviewRequest, ReviewSubmission
from models.review.operations import STATE_LABELS, cycle_phase, issue_token, status_rows

router = APIRouter()
# A year as the CLI takes it: anything else is a 422, never a number too large for the database.
Year = Annotated[int, Path(ge=1900, le=2200)]


def _cycles(session: Session, year: int) -> list[tuple[ReviewCycle, Plan]]:
    return session.exec(select(ReviewCycle, Plan).join(Plan, ReviewCycle.plan_id == Plan.id)
                        .where(ReviewCycle.year == year).order_by(Plan.id)).all()


def _agency_or_404(session: Session, code: str) -> Agency:
    found = session.exec(select(Agency).where(Agency.code == code)).first()
    if found is None:
        raise HTTPException(404)
    return found


def open_request_for(session: Session, agency_id: int, now) -> tuple[ReviewRequest, ReviewCycle] | None:
    """The agency's request in a review cycle that is still taking inputs (the newest), or None."""
    rows = session.exec(select(ReviewRequest, ReviewCycle).join(ReviewCycle, ReviewRequest.cycle_id == ReviewCycle.id)
                        .where(ReviewRequest.agency_id == agency_id).order_by(ReviewCycle.year.desc())).all()
    for request, cycle in rows:
        if not cycle.is_closed(now):
            return request, cycle
    return None


@router.get("/reviews", dependencies=[Depends(staff)])
def reviews(request: Request):
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        rows = session.exec(select(ReviewCycle, Plan).join(Plan, ReviewCycle.plan_id == Plan.id)
                            .order_by(ReviewCycle.year.desc(), Plan.id)).all()
        cycles = []
        for cycle, plan in rows:
            states = [r.state for r in status_rows(session, cycle, now)]
            cycles.append(dict(cycle=cycle, plan=plan, phase=cycle_phase(cycle, now), total=len(states),
                               submitted=sum(s in ("submitted", "submitted_late") for s in states)))
    return page(request, "reviews.html", cycles=cycles)


@router.get("/reviews/{year}", dependencies=[Depends(staff)])
def review_cycle(request: Request, year: Year):
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        cycles = [dict(cycle=cycle, plan=plan, phase=cycle_phase(cycle, now), rows=status_rows(session, cycle, now))
                  for cycle, plan in _cycles(session, year)]
    return page(request, "review_cycle.html", year=year, cycles=cycles, state_labels=STATE_LABELS)


@router.get("/reviews/{year}/{agency_code}", dependencies=[Depends(staff)])
def review_submissions(request: Request, year: Year, agency_code: str):
    with Session(context_of(request).engine) as session:
        agency = _agency_or_404(session, agency_code)
        submissions = []
        for cycle, plan in _cycles(session, year):
            subs = session.exec(select(ReviewSubmission).join(ReviewRequest)
                                .where(ReviewRequest.cycle_id == cycle.id, ReviewRequest.agency_id == agency.id)
                                .order_by(ReviewSubmission.id.desc())).all()
            submissions.extend((plan, sub) for sub in subs)
    statuses = {s.value: (s.label_vi, s.label_en) for s in ReportedStatus}
    indicators = {i.code: i for i in INDICATORS}
    return page(request, "review_submission.html", year=year, agency=agency, submissions=submissions,
                statuses=statuses, indicators=indicators)


@router.post("/reviews/{year}/{agency_code}/form")
def review_form(request: Request, year: Year, agency_code: str, user: User = Depends(signed_in), csrf: str = Form("")):
    now = context_of(request).clock().now()
    with transaction(context_of(request).engine) as session:
        agency = session.exec(select(Agency).where(Agency.code == agency_code)).first()
        require_agency(user, agency.id if agency else -1)
        check_csrf(request, csrf)
        if agency is None:  # staff pass require_agency for any code, even one that does not exist
            raise HTTPException(404)
        found = open_request_for(session, agency.id, now)
        if found is None or found[1].year != year:
            raise HTTPException(404, detail="no review cycle is open for this agency")
        review_request, cycle = found
        token = issue_token(session, review_request, cycle, now=now, reason=f"web:{user.kind}")
    return RedirectResponse(f"/review/{token}", status_code=303)
