"""The outbox for Alliance staff: what went to whom, what failed and why, every attempt."""
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from sqlalchemy import func
from sqlmodel import Session, select

from dondoc.web import context_of, int_param, page
from dondoc.web.access import staff
from models.outbox import DeliveryAttempt, Message, MessageContent, MessageStatus
from notifications.outbox import bodies_of

router = APIRouter()
PAGE_SIZE = 50
# Bodies of these kinds hold a live secret (a sign-in link): never shown on a page.
SECRET_BODIES = {"signin"}


@router.get("/outbox", dependencies=[Depends(staff)])
def outbox(request: Request, status: str | None = None):
    status = status if status in {s.value for s in MessageStatus} else None
    page_number = max(1, int_param(request, "page", 1))
    with Session(context_of(request).engine) as session:
        counts = dict(session.exec(select(Message.status, func.count()).group_by(Message.status)).all())
        statement = select(Message).order_by(Message.id.desc())
        if status:
            statement = statement.where(Message.status == status)
        total = counts.get(status, 0) if status else sum(counts.values())
        messages = session.exec(statement.limit(PAGE_SIZE).offset((page_number - 1) * PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return page(request, "outbox.html", messages=messages, counts=counts, status=status, page_number=page_number,
                pages=pages, statuses=[s.value for s in MessageStatus])


@router.get("/outbox/{message_id}", dependencies=[Depends(staff)])
def outbox_message(request: Request, message_id: int = Path(ge=1, le=2 ** 31 - 1)):
    with Session(context_of(request).engine) as session:
        message = session.get(Message, message_id)
        if message is None:
            raise HTTPException(404)
        attempts = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id)
                                .order_by(DeliveryAttempt.id)).all()
        raw = session.exec(select(MessageContent.raw).where(MessageContent.message_id == message_id)).one()
    text_body = bodies_of(raw)[0]
    return page(request, "outbox_message.html", message=message, attempts=attempts, text_body=text_body,
                body_hidden=message.kind in SECRET_BODIES)
