"""One message from the reply mailbox, dealt with in one transaction: what it is, what it does, the
record that it was processed, and the confirmation it gets.

    one of ours come back (X-Dondoc-Kind)      ignored
    a bounce (our return path, a DSN, ...)     the outbox message failed, the address flagged
    an auto-reply (out of office, ...)         ignored
    a reply (our reply address)                the updates recorded, one confirmation to the person
    anything else                              ignored (a known focal point is told how to reply)

The InboundMail row is written first (its key is unique: a second run at the same time waits for this
one and then finds it) and committed with everything else, so a message read again does nothing.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from models.clock import VN_TZ, local_date
from models.inbound import InboundKind, InboundMail, is_processed
from notifications.bounces import apply_bounce, find_bounced_message
from notifications.inbound import (
    Incoming, is_auto_reply, is_delivery_report, is_own, looks_like_bounce, read_bounce, read_message,
)
from notifications.letter import Sender, letter_for
from notifications.outbox import enqueue
from notifications.render import render
from notifications.replies import ReplyOutcome, apply_reply, find_replied_message
from notifications.reply_address import BOUNCE, REPLY, ReplyAddresses, tags_in


@dataclass
class Processed:
    key: str
    kind: str
    outcome: str
    sender: str
    subject: str
    already: bool = False
    queued: list[int] = field(default_factory=list)  # outbox messages to send now (confirmation, notices)
    summary: str = ""
    summary_vi: str = ""  # the same in Vietnamese (the command line's default)


def process_message(session: Session, raw: bytes, *, now: datetime, mail_from: str,
                    replies: ReplyAddresses | None, sender: Sender | None = None) -> Processed:
    incoming = read_message(raw)
    done = Processed(incoming.key, InboundKind.UNKNOWN, "ignored", incoming.sender, incoming.subject)
    if is_processed(session, incoming.key):
        done.already, done.outcome = True, "already"
        return done
    row = InboundMail(key=incoming.key, processed_at=now, sent_at=incoming.sent_at, sender=incoming.sender[:254],
                      subject=incoming.subject, kind=InboundKind.UNKNOWN, outcome="ignored")
    session.add(row)
    session.flush()  # claims the key now: a second reader of the same message waits here, then fails

    bounce_tags = tags_in(incoming.message, BOUNCE)
    if is_own(incoming):
        done.kind, done.summary, done.summary_vi = InboundKind.OWN, "one of our own messages", "thư của chính dondoc"
    elif bounce_tags or is_delivery_report(incoming) or (looks_like_bounce(incoming) and read_bounce(incoming)):
        done.kind = InboundKind.BOUNCE
        report = read_bounce(incoming)
        if report is None:
            done.summary, done.summary_vi = "no failure reported", "không báo lỗi gửi nào"
        else:
            message = find_bounced_message(session, bounce_tags, report, replies)
            result = apply_bounce(session, report, message, now=now, mail_from=mail_from, sender=sender)
            done.outcome, row.message_id, done.queued = result.outcome, message.id if message else None, result.told or []
            done.summary = (f"{message.recipient_email}: {result.outcome}" if message else "no message of ours") + \
                (f"; {result.flagged} flagged, {len(done.queued)} told" if result.flagged else "")
            done.summary_vi = (f"{message.recipient_email}: {outcome_vi(result.outcome)}" if message
                               else "không phải thư dondoc đã gửi") + \
                (f"; đã đánh dấu {result.flagged}, đã báo {len(done.queued)} người" if result.flagged else "")
            row.detail = result.detail
    elif is_auto_reply(incoming):
        done.kind, done.summary, done.summary_vi = InboundKind.AUTO_REPLY, "an automatic answer", "thư trả lời tự động"
    else:
        reply_tags = tags_in(incoming.message, REPLY)
        message = find_replied_message(session, reply_tags, replies) if replies is not None else None
        if reply_tags or message is not None or _known_sender(session, incoming):
            done.kind = InboundKind.REPLY
            result = apply_reply(session, incoming, message=message, now=now)
            done.outcome, row.message_id, row.detail = result.outcome, message.id if message else None, result.detail
            done.summary, done.summary_vi = _summary(result, "en"), _summary(result, "vi")
            confirmation = _confirm(session, incoming, result, now=now, mail_from=mail_from, sender=sender)
            if confirmation is not None:
                done.queued.append(confirmation)
        else:
            done.summary, done.summary_vi = "not a reply to one of our emails", "không phải trả lời thư của dondoc"
    row.kind, row.outcome = done.kind, done.outcome
    session.add(row)
    return done


def _known_sender(session: Session, incoming: Incoming) -> bool:
    from notifications.replies import focal_points_of
    return bool(incoming.sender) and bool(focal_points_of(session, incoming.sender))


def _summary(result: ReplyOutcome, language: str) -> str:
    """What a reply led to, in English or (language "vi") Vietnamese."""
    vi = language == "vi"
    if result.refusal:
        return f"bị từ chối: {result.refusal[0]}" if vi else f"refused: {result.refusal[1]}"
    recorded = sum(1 for line in result.lines if line.recorded)
    head = f"ghi nhận {recorded}/{len(result.lines)} dòng" if vi else f"{recorded} of {len(result.lines)} lines recorded"
    return head + "".join(f"; {line.ref or '-'}: {line.vi if vi else line.en}" for line in result.lines)


# What became of a message, in Vietnamese: its kind (InboundKind) and outcome (of a reply, a bounce, or neither).
KIND_VI = {InboundKind.REPLY: "thư trả lời", InboundKind.BOUNCE: "thư bị trả lại",
           InboundKind.AUTO_REPLY: "trả lời tự động", InboundKind.OWN: "thư của dondoc", InboundKind.UNKNOWN: "thư khác"}
OUTCOME_VI = {"recorded": "đã ghi nhận", "partly": "ghi nhận một phần", "refused": "bị từ chối",
              "not_understood": "không hiểu được", "ignored": "bỏ qua", "already": "đã xử lý trước đó",
              "failed": "gửi lỗi", "delayed": "chậm, máy chủ còn gửi lại", "unmatched": "không khớp thư nào đã gửi"}


def outcome_vi(outcome: str) -> str:
    return OUTCOME_VI.get(outcome, outcome)


def _confirm(session: Session, incoming: Incoming, result: ReplyOutcome, *, now: datetime,
             mail_from: str, sender: Sender | None = None) -> int | None:
    """The one answer to a reply: what was recorded, what was not and how to write it. To the person
    the reply was checked against (nobody, for an address not in the directory)."""
    person = result.person
    if person is None:
        return None
    english = person.language == "en"
    lines = [dict(ref=line.ref, written=line.written, recorded=line.recorded, what=line.en if english else line.vi)
             for line in result.lines]
    example = "3.1.2-c"
    context = dict(**letter_for(session, person.language, sender=sender, name=person.name,
                                address_as=person.address_as, title=person.title, agency_ids=[person.agency_id]),
                   recipient_name=person.name, reply_subject=incoming.subject or "(không có tiêu đề)",
                   sent_at=(incoming.sent_at or now).astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y"),
                   refusal=(result.refusal[1] if english else result.refusal[0]) if result.refusal else None,
                   recorded=[line for line in lines if line["recorded"]],
                   problems=[line for line in lines if not line["recorded"]],
                   nothing=not lines and not result.refusal, example=example)
    headers = [("Auto-Submitted", "auto-replied")]
    if incoming.message_id:
        headers += [("In-Reply-To", incoming.message_id), ("References", incoming.message_id)]
    key = f"reply_confirmation|{hashlib.sha256(incoming.key.encode()).hexdigest()[:40]}"
    message = enqueue(session, key=key, kind="reply_confirmation", recipient_email=person.email,
                      recipient_name=person.name, language=person.language, send_date=local_date(now),
                      rendered=render("reply_confirmation", person.language, context), now=now, mail_from=mail_from,
                      headers=tuple(headers))
    return message.id if message is not None else None
