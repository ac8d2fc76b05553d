"""The annual review's emails: the request when a cycle opens, chasers to agencies that have not
reported, and the list of missing agencies for Alliance staff. All through the outbox, keyed so
that running a day twice queues nothing new; each email carries its own link."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from models.agency import Agency, AgencyKind, FocalPoint, FocalPointRole
from models.plan import Plan
from models.reminders import is_escalated
from models.review.rules import INDICATORS, chaser_firing, missing_list_firing
from models.review.tables import ReviewCycle, ReviewRequest
from models.review.operations import compiling_body, form_for, issue_token, review_link
from models.workdays import WorkCalendar
from notifications.letter import Sender, default_sender, letter, plan_name, salutation
from notifications.outbox import Draft, enqueue_many, queued_keys
from notifications.render import render
from notifications.reply_address import ReplyAddresses


@dataclass
class ReviewMail:
    requests: int = 0
    chasers: int = 0
    missing_lists: int = 0
    without_focal_point: list[str] | None = None

    @property
    def queued(self) -> int:
        return self.requests + self.chasers + self.missing_lists


def _people(session: Session, agency_ids, *, with_head: bool = False) -> dict[int, list[FocalPoint]]:
    """The active focal points of these agencies, by agency (one query for a whole cycle's requests)."""
    by_agency: dict[int, list[FocalPoint]] = {agency_id: [] for agency_id in agency_ids}
    if not by_agency:
        return by_agency
    for fp in session.exec(select(FocalPoint).where(FocalPoint.agency_id.in_(list(by_agency)),
                                                   FocalPoint.active == True)  # noqa: E712
                           .order_by(FocalPoint.id)):
        if with_head or fp.role != FocalPointRole.HEAD:
            by_agency[fp.agency_id].append(fp)
    return by_agency


def _context(form, request: ReviewRequest, fp: FocalPoint, link: str, today: date, replies: bool = False,
             sender: Sender | None = None) -> dict:
    english = fp.language == "en"
    return dict(
        **letter(fp.language, sender=sender or default_sender(), plans=[plan_name(form.plan, fp.language)],
                 greeting=salutation(fp.language, fp.name, fp.address_as, fp.title)),
        recipient_name=fp.name, agency_name=form.agency.name_en if english else form.agency.name_vi,
        agency_code=form.agency.code, year=form.cycle.year, plan_title=form.plan.title, link=link,
        opens_on=form.cycle.opens_on, inputs_due=form.cycle.inputs_due, report_due=form.cycle.report_due,
        days_left=(form.cycle.inputs_due - today).days, days_late=(today - form.cycle.inputs_due).days,
        tasks=[dict(ref=line.ref, title=line.title, due=line.due, status=line.status.label("en" if english else "vi"))
               for line in form.lines],
        asks_indicators=request.asks_indicators,
        indicators=[i.label("en" if english else "vi") for i in INDICATORS],
        send_date=today, replies=replies,
    )


def _mail_requests(session, cycle, requests, *, kind: str, key_of, reason: str, now: datetime, today: date,
                   base_url: str, mail_from: str, with_head: bool = False,
                   replies: ReplyAddresses | None = None, sender: Sender | None = None) -> int:
    """Queue `kind` to each request's focal points not yet sent that key, with one new link per
    request that has someone to write to. Which keys are queued already is one query for them all."""
    people = _people(session, {request.agency_id for request in requests}, with_head=with_head)
    keys = {(request.id, fp.id): key_of(fp) for request in requests for fp in people[request.agency_id]}
    done = queued_keys(session, list(set(keys.values())))
    drafts: list[Draft] = []
    for request in requests:
        pending = [fp for fp in people[request.agency_id] if keys[request.id, fp.id] not in done]
        if not pending:
            continue
        link = review_link(base_url, issue_token(session, request, cycle, now=now, reason=reason))
        form = form_for(session, request, now)
        for fp in pending:
            key = keys[request.id, fp.id]
            done.add(key)  # the focal point of two agencies gets the first one's (and no second link)
            drafts.append(Draft(key, kind, fp.email, fp.name, fp.language, today,
                                render(kind, fp.language, _context(form, request, fp, link, today,
                                                                   replies is not None, sender))))
    return len(enqueue_many(session, drafts, now=now, mail_from=mail_from, replies=replies))


def queue_review_requests(session: Session, cycle: ReviewCycle, *, now: datetime, today: date, base_url: str,
                          mail_from: str, replies: ReplyAddresses | None = None,
                          sender: Sender | None = None) -> ReviewMail:
    """The opening email to every reporting agency's focal points (once per person and cycle)."""
    result = ReviewMail(without_focal_point=[])
    requests = session.exec(select(ReviewRequest, Agency).join(Agency)
                            .where(ReviewRequest.cycle_id == cycle.id).order_by(ReviewRequest.id)).all()
    people = _people(session, {agency.id for _, agency in requests})
    result.without_focal_point = [agency.code for _, agency in requests if not people[agency.id]]
    result.requests = _mail_requests(
        session, cycle, [request for request, agency in requests if people[agency.id]], kind="review_request",
        reason="request", now=now, today=today, base_url=base_url, mail_from=mail_from, replies=replies, sender=sender,
        key_of=lambda fp: f"review_request|{cycle.id}|{fp.email.lower()}")
    return result


def queue_review_chasers(session: Session, cycle: ReviewCycle, *, now: datetime, today: date, reminder_policy,
                         calendar: WorkCalendar, base_url: str, mail_from: str,
                         replies: ReplyAddresses | None = None, sender: Sender | None = None) -> ReviewMail:
    """Chasers to agencies that have not submitted, on the reminder policy's rhythm and working days
    only; after the deadline, Alliance staff get the list of those missing."""
    result = ReviewMail()
    if not calendar.is_working_day(today) or cycle.is_closed(now) or today < cycle.opens_on:
        return result
    firing = chaser_firing(opens_on=cycle.opens_on, inputs_due=cycle.inputs_due, today=today,
                           reminder_policy=reminder_policy, calendar=calendar)
    listing = missing_list_firing(inputs_due=cycle.inputs_due, today=today, reminder_policy=reminder_policy,
                                  calendar=calendar)
    if firing is None and listing is None:
        return result
    missing = session.exec(select(ReviewRequest, Agency).join(Agency)
                           .where(ReviewRequest.cycle_id == cycle.id, ReviewRequest.submitted_at == None)  # noqa: E711
                           .order_by(ReviewRequest.id)).all()
    if firing is not None:
        escalated = firing.rule.startswith("overdue") and is_escalated(cycle.inputs_due, firing.nominal, reminder_policy)
        result.chasers = _mail_requests(
            session, cycle, [request for request, _ in missing], kind="review_chaser", reason=f"chaser:{firing.rule}",
            now=now, today=today, base_url=base_url, mail_from=mail_from, with_head=escalated, replies=replies,
            sender=sender,
            key_of=lambda fp: f"review_chaser|{cycle.id}|{fp.email.lower()}|{firing.rule}|{firing.nominal}")
    if listing is not None and missing:
        result.missing_lists += _queue_missing_list(session, cycle, missing, listing, now=now, today=today,
                                                    mail_from=mail_from, sender=sender)
    return result


def _queue_missing_list(session, cycle, missing, firing, *, now, today, mail_from, sender=None) -> int:
    """To the staff of the Alliance the plan asks to report (its own province's, not every one in a
    shared database): which agencies have not reported, with whom to call."""
    plan = session.get(Plan, cycle.plan_id)
    requests = session.exec(select(ReviewRequest, Agency).join(Agency).where(ReviewRequest.cycle_id == cycle.id)).all()
    alliances = [agency.id for agency in compiling_body(session, plan)]
    contacts = _people(session, {agency.id for _, agency in missing} | set(alliances))
    drafts = []
    for fp in (fp for agency_id in sorted(alliances) for fp in contacts[agency_id]):
        english = fp.language == "en"
        rows = [dict(code=agency.code, name=agency.name_en if english else agency.name_vi,
                     contacts=", ".join(p.email for p in contacts[agency.id]) or "—")
                for _, agency in missing]
        context = dict(**letter(fp.language, sender=sender or default_sender(), plans=[plan_name(plan, fp.language)],
                                greeting=salutation(fp.language, fp.name, fp.address_as, fp.title)),
                       recipient_name=fp.name, year=cycle.year, plan_title=plan.title, inputs_due=cycle.inputs_due,
                       report_due=cycle.report_due, days_late=(today - cycle.inputs_due).days, missing=rows,
                       total=len(requests), submitted=len(requests) - len(rows), send_date=today)
        drafts.append(Draft(f"review_missing|{cycle.id}|{fp.email.lower()}|{firing.rule}|{firing.nominal}",
                            "review_missing", fp.email, fp.name, fp.language, today,
                            render("review_missing", fp.language, context)))
    return len(enqueue_many(session, drafts, now=now, mail_from=mail_from))
