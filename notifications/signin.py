"""The sign-in link email: queued through the outbox like every message, then sent at once, alone."""
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from config.policy import ReminderPolicy
from config.settings import Settings
from models.accounts import SIGNIN_LINK_LIFETIME, FocalPerson, issue_signin_token, token_hash
from models.clock import VN_TZ, local_date
from models.db import transaction
from notifications.dispatch import DispatchReport, dispatch
from notifications.letter import Sender, letter_for
from notifications.outbox import enqueue
from notifications.render import render
from notifications.transports import transport_for


def signin_link(base_url: str, token: str, next_path: str = "") -> str:
    """The emailed link; `next_path` (a local path the web checked) is where the person lands after."""
    link = f"{base_url.rstrip('/')}/signin/link/{token}"
    return f"{link}?{urlencode({'next': next_path})}" if next_path else link


def send_signin_link(engine: Engine, settings: Settings, *, person: FocalPerson, now: datetime,
                     policy: ReminderPolicy, next_path: str = "") -> DispatchReport:
    """Issue a token for `person`, queue the email (kind `signin`) and dispatch just that message."""
    with transaction(engine) as session:
        token = issue_signin_token(session, email=person.email, now=now)
        expires = (now + SIGNIN_LINK_LIFETIME).astimezone(VN_TZ)
        rendered = render("signin", person.language, dict(
            **letter_for(session, person.language, sender=Sender.of(settings.organization_file), name=person.name,
                         address_as=person.address_as, title=person.title, agency_ids=person.agency_ids),
            recipient_name=person.name, link=signin_link(settings.public_base_url, token, next_path),
            minutes=int(SIGNIN_LINK_LIFETIME.total_seconds() // 60), expires=expires.strftime("%H:%M %d/%m/%Y")))
        # The key names the token's hash, never the token: each request is its own message.
        message = enqueue(session, key=f"signin|{person.email}|{token_hash(token)[:24]}", kind="signin",
                          recipient_email=person.email, recipient_name=person.name, language=person.language,
                          send_date=local_date(now), rendered=rendered, now=now, mail_from=settings.resolved_mail_from)
    return dispatch(engine, transport_for(settings), now=now, policy=policy, only=[message.id])
