"""A bounce: which outbox message it reports on, the message marked failed with the reason, the address
flagged, and the agency's other people told once that it is dead.

The message is the one the return path's tag names (VERP; notifications/reply_address.py), checked by
its signature. A report whose return path was lost on the way (a server that rewrites the envelope
sender) is matched by the Message-ID in the headers it returns, and only if the address it reports
failed is that message's recipient.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from models.agency import Agency, AgencyKind, FocalPoint
from models.clock import local_date
from models.inbound import BouncedAddress
from models.outbox import DeliveryAttempt, Message, MessageStatus
from notifications.inbound import BounceReport
from notifications.letter import Sender, letter_for
from notifications.outbox import Draft, enqueue_many
from notifications.render import render
from notifications.reply_address import ReplyAddresses, Tag


@dataclass
class BounceOutcome:
    outcome: str  # failed, delayed, unmatched
    message: Message | None = None
    flagged: str | None = None  # the address newly flagged
    told: list[int] | None = None  # the outbox ids of the notices queued
    detail: str = ""


def find_bounced_message(session: Session, tags: list[Tag], report: BounceReport | None,
                         replies: ReplyAddresses | None) -> Message | None:
    for tag in tags:
        message = session.get(Message, tag.message_id)
        if message is not None and replies is not None and replies.is_genuine(tag, message.recipient_email):
            return message
    if report is not None and report.original_message_id:
        message = session.exec(select(Message).where(Message.message_id == report.original_message_id)).first()
        if message is not None and message.recipient_email.strip().lower() in report.recipients:
            return message
    return None


def apply_bounce(session: Session, report: BounceReport, message: Message | None, *, now: datetime,
                 mail_from: str, sender: Sender | None = None) -> BounceOutcome:
    if message is None:
        return BounceOutcome("unmatched", detail=report.reason)
    if not report.hard:
        return BounceOutcome("delayed", message, detail=report.reason)  # the server keeps trying: nothing to do
    reason = report.reason or report.status or "bounced"
    message.status = MessageStatus.FAILED
    message.last_error = f"bounced: {reason}"[:2000]
    message.claimed_at = message.claimed_by = None
    session.add(message)
    session.add(DeliveryAttempt(message_id=message.id, at=now, worker="inbox", outcome="bounced", detail=reason))
    email = message.recipient_email.strip().lower()
    flagged = session.exec(select(BouncedAddress).where(BouncedAddress.email == email)).first()
    if flagged is not None:
        flagged.bounced_at, flagged.reason, flagged.message_id = now, reason, message.id
        session.add(flagged)
        return BounceOutcome("failed", message, detail=reason)
    flagged = BouncedAddress(email=email, bounced_at=now, reason=reason, message_id=message.id)
    session.add(flagged)
    session.flush()
    told = tell_colleagues(session, flagged, now=now, mail_from=mail_from, sender=sender)
    return BounceOutcome("failed", message, flagged=email, told=told, detail=reason)


def tell_colleagues(session: Session, flagged: BouncedAddress, *, now: datetime, mail_from: str,
                    sender: Sender | None = None) -> list[int]:
    """Tell the other focal points (the head among them) of each agency the dead address belongs to,
    once (the notice's key names the flag); an agency with nobody else: the Alliance's focal points."""
    owners = session.exec(select(FocalPoint, Agency).join(Agency, Agency.id == FocalPoint.agency_id)
                          .where(func.lower(FocalPoint.email) == flagged.email,
                                 FocalPoint.active == True)).all()  # noqa: E712
    if not owners:
        return []
    alliance = None
    drafts: dict[str, Draft] = {}
    for dead, agency in owners:
        others = [fp for fp in session.exec(select(FocalPoint).where(
            FocalPoint.agency_id == agency.id, FocalPoint.active == True).order_by(FocalPoint.id))  # noqa: E712
            if fp.email.strip().lower() != flagged.email]
        if not others:
            if alliance is None:
                alliance = [fp for fp, _ in session.exec(
                    select(FocalPoint, Agency).join(Agency, Agency.id == FocalPoint.agency_id)
                    .where(Agency.kind == AgencyKind.ALLIANCE, FocalPoint.active == True)  # noqa: E712
                    .order_by(FocalPoint.id)) if fp.email.strip().lower() != flagged.email]
            others = alliance
        for fp in others:
            key = f"address_dead|{flagged.id}|{fp.email.strip().lower()}"
            if key in drafts:
                continue
            english = fp.language == "en"
            context = dict(**letter_for(session, fp.language, sender=sender, name=fp.name, address_as=fp.address_as,
                                        title=fp.title, agency_ids=[agency.id]),
                           recipient_name=fp.name, dead_name=dead.name, dead_email=dead.email,
                           agency_name=agency.name_en if english else agency.name_vi, reason=flagged.reason,
                           bounced_on=local_date(now))
            drafts[key] = Draft(key, "address_dead", fp.email, fp.name, fp.language, local_date(now),
                                render("address_dead", fp.language, context),
                                (("Auto-Submitted", "auto-generated"),))
    return list(enqueue_many(session, list(drafts.values()), now=now, mail_from=mail_from).values())
