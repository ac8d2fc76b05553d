"""The outbox for Alliance staff: what went to whom, what failed and why, every attempt."""
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from sqlalchemy import case, func
from sqlmodel import Session, select

from dondoc.web import context_of, int_param, page, parse_day
from dondoc.web.labels import LABELS
from dondoc.web.access import staff
from models.outbox import DeliveryAttempt, Message, MessageContent, MessageStatus
from notifications.outbox import bodies_of

router = APIRouter()
PAGE_SIZE = 50
# Bodies of these kinds hold a live secret (a sign-in link): never shown on a page.
SECRET_BODIES = {"signin"}


@dataclass(frozen=True)
class OutboxFilter:
    """What the outbox page is narrowed to: recipient (words of the address or name), kind, status, day."""
    recipient: str = ""
    kind: str = ""
    status: str = ""
    day: date | None = None

    def query(self) -> str:
        said = {"recipient": self.recipient, "kind": self.kind, "status": self.status,
                "day": self.day.strftime("%d/%m/%Y") if self.day else ""}
        return urlencode({k: v for k, v in said.items() if v})

    def apply(self, statement):
        if self.recipient:
            words = f"%{self.recipient.lower()}%"
            statement = statement.where(func.lower(Message.recipient_email).like(words)
                                        | func.lower(Message.recipient_name).like(words))
        if self.kind:
            statement = statement.where(Message.kind == self.kind)
        if self.status:
            statement = statement.where(Message.status == self.status)
        if self.day:
            statement = statement.where(Message.send_date == self.day)
        return statement


def _filter(request: Request) -> tuple[OutboxFilter, str | None]:
    params = request.query_params
    status = params.get("status", "")
    kind = params.get("kind", "")
    error = None
    try:
        day = parse_day(params.get("day", "")[:20])
    except ValueError:
        day, error = None, "day"
    return OutboxFilter(recipient=params.get("recipient", "").strip()[:254].replace("\x00", ""),
                        kind=kind if kind in LABELS["kind"] else "",
                        status=status if status in {s.value for s in MessageStatus} else "", day=day), error


@router.get("/outbox", dependencies=[Depends(staff)])
def outbox(request: Request):
    """The failed first (they need someone), then the newest."""
    flt, error = _filter(request)
    page_number = max(1, int_param(request, "page", 1))
    with Session(context_of(request).engine) as session:
        counts = dict(session.exec(flt.apply(select(Message.status, func.count()).group_by(Message.status))).all())
        failed_first = case((Message.status == MessageStatus.FAILED.value, 0), else_=1)
        statement = flt.apply(select(Message)).order_by(failed_first, Message.id.desc())
        total = sum(counts.values())
        messages = session.exec(statement.limit(PAGE_SIZE).offset((page_number - 1) * PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return page(request, "outbox.html", messages=messages, counts=counts, status=flt.status, flt=flt,
                page_number=page_number, pages=pages, statuses=[s.value for s in MessageStatus],
                kinds=list(LABELS["kind"]), filter_error=error, query=flt.query())


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
