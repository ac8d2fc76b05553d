"""The iCalendar feed of an agency at a secret URL, for Outlook or Google Calendar subscriptions.

The secret is an HMAC of the agency code under the settings' secret key (128 bits shown in the
URL): nothing to store, the same URL on every page, and changing DONDOC_SECRET_KEY revokes all.
A calendar program cannot sign in, so the URL itself is the access: it is shown only to staff
and to that agency's focal points.
"""
import hashlib
import hmac

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, select

from config.settings import Settings
from dondoc.web import app_now, context_of
from dondoc.web.access import public
from dondoc.web.ical import Event, calendar
from models.agency import Agency
from models.clock import local_date
from models.occurrence import Occurrence, OccurrenceKind
from models.status import occurrence_status
from models.plan import Task

router = APIRouter()


def feed_token(settings: Settings, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"calendar:{code}".encode(), hashlib.sha256).hexdigest()[:32]


def calendar_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/calendar/{code}/{feed_token(settings, code)}.ics"


@router.get("/calendar/{code}/{token}.ics", dependencies=[Depends(public)])
def agency_calendar(request: Request, code: str, token: str):
    context = context_of(request)
    settings = context.settings
    if not hmac.compare_digest(token.encode(), feed_token(settings, code).encode()):
        raise HTTPException(404)
    now = app_now(request)
    with Session(context.engine) as session:
        agency = session.exec(select(Agency).where(Agency.code == code)).first()
        if agency is None:
            raise HTTPException(404)
        rows = session.exec(
            select(Occurrence, Task).join(Task, Occurrence.task_id == Task.id)
            .where(Task.lead_agency_id == agency.id, Task.retired == False,  # noqa: E712
                   Occurrence.kind != OccurrenceKind.WITHDRAWN)
            .order_by(Occurrence.due_date, Task.ref)
        ).all()
    domain = settings.public_base_url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "dondoc"
    base = settings.public_base_url.rstrip("/")
    events = []
    for occ, task in rows:
        status = occurrence_status(occ, local_date(now))
        done = "✔ " if occ.progress == "done" else ""
        events.append(Event(
            uid=f"occurrence-{occ.id}@{domain}", day=occ.due_date,
            summary=f"{done}Hạn {task.ref}: {task.title}",
            description=f"{agency.name_vi} chủ trì.\n{status.label_vi}.\n\n{task.source_text}\n\n{base}/tasks/{task.ref}",
            url=f"{base}/tasks/{task.ref}", categories=status.label_vi,
        ))
    text = calendar(events, name=f"Đôn đốc — {agency.name_vi}", stamp=now)
    return Response(text.encode("utf-8"), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{code}.ics"', "Cache-Control": "no-store"})
