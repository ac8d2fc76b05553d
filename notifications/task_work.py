"""The emails of extension requests, returns and explanation requests (models/task_work.py).

Queued in the outbox in the same transaction as the change they tell of (nothing lost, and a key per
request, event and person, so nothing is queued twice); the delivery sends them like every message.
Who is told:
- an extension asked: staff (every active staff account);
- its decision: the person who asked (when a focal point) and the lead agency's focal points serving;
- a return, an explanation asked: the lead agency's focal points serving;
- an explanation given: staff.
"""
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from models.accounts import StaffUser
from models.agency import Agency, FocalPoint
from models.clock import local_date
from models.directory import who_serves
from models.occurrence import Occurrence
from models.plan import Task
from models.task_work import RequestKind, RequestState, TaskRequest
from notifications.letter import Sender, letter_for
from notifications.outbox import enqueue
from notifications.render import render

KIND = "task_work"


def event_of(found: TaskRequest) -> str:
    """What happened last to a request: the email to send about it."""
    if found.kind == RequestKind.EXTENSION:
        return {RequestState.PENDING: "extension_requested", RequestState.APPROVED: "extension_approved",
                RequestState.REFUSED: "extension_refused"}[found.state]
    if found.kind == RequestKind.RETURN:
        return "returned"
    return "explanation_requested" if found.state == RequestState.OPEN else "explanation_answered"


def recipients(session: Session, found: TaskRequest, event: str, *, day, deputies: str = "always") -> list[tuple[str, str, str]]:
    """(email, name, language) of everyone told of `event`, each once."""
    task = session.get(Task, found.task_id)
    staff = [(u.email, u.name, "vi") for u in session.exec(select(StaffUser).where(StaffUser.active == True)  # noqa: E712
                                                           .order_by(StaffUser.id))]
    readers, _, _ = who_serves(session, task.lead_agency_id, day, deputies=deputies)
    lead = [(fp.email, fp.name, fp.language) for fp in readers]
    if event in ("extension_requested", "explanation_answered"):
        found_people = staff
    elif event in ("extension_approved", "extension_refused"):
        asker = []
        if found.requested_email:
            from models.accounts import focal_person
            person = focal_person(session, found.requested_email)
            if person is not None:
                asker = [(person.email, person.name, person.language)]
        found_people = asker + lead
    else:
        found_people = lead
    seen, result = set(), []
    for email, name, language in found_people:
        if email.lower() not in seen:
            seen.add(email.lower())
            result.append((email, name, language))
    return result


def queue_request_emails(session: Session, found: TaskRequest, *, now: datetime, mail_from: str, base_url: str,
                         deputies: str = "always", sender: Sender | None = None) -> int:
    """Queue the emails about the request's latest event; how many were queued."""
    event = event_of(found)
    task = session.get(Task, found.task_id)
    occ = session.get(Occurrence, found.occurrence_id)
    lead = session.get(Agency, task.lead_agency_id)
    queued = 0
    for email, name, language in recipients(session, found, event, day=local_date(now), deputies=deputies):
        directory = session.exec(select(FocalPoint).where(func.lower(FocalPoint.email) == email.lower(),
                                                          FocalPoint.active == True)  # noqa: E712
                                 .order_by(FocalPoint.id)).first()
        rendered = render(KIND, language, dict(
            **letter_for(session, language, sender=sender, name=name, plan_ids=[task.plan_id],
                         address_as=directory.address_as if directory else None,
                         title=directory.title if directory else None),
            event=event, recipient_name=name, ref=task.ref, title=task.title,
            lead=lead.name_en if language == "en" else lead.name_vi, due_then=found.due_then,
            due_now=occ.due_date, original_due=occ.original_due, asked_due=found.asked_due,
            granted_due=found.granted_due, answer_by=found.answer_by, reason=found.reason,
            note=found.decision_note or "", returned_completed_on=found.returned_completed_on,
            number=found.id, link=f"{base_url.rstrip('/')}/tasks/{task.ref}"))
        message = enqueue(session, key=f"{KIND}|{found.id}|{event}|{email.lower()}", kind=KIND, recipient_email=email,
                          recipient_name=name, language=language, send_date=local_date(now), rendered=rendered,
                          now=now, mail_from=mail_from)
        queued += message is not None
    return queued
