"""A reply to one of our emails: who may update what, recording it, and the one confirmation.

The reply address (notifications/reply_address.py) names the outbox message answered, and so the
person it went to and the tasks it covered. The reply is accepted only from that person (the From
address must be the message's recipient, and still an active focal point): a forwarded email, or a
reply written from another address, is refused. Each task it names must be led by an agency the
person is a focal point of; a line without a ref means the task of the email answered, when it covered
exactly one. Every update goes through the same functions as `dondoc task done|progress`, with the
audit naming the person (`email:<address>`). Each line is applied in a savepoint of its own: one that
cannot be applied (a task already done, a date after today) leaves the others recorded.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from config.errors import InputError
from models.agency import Agency, FocalPoint
from models.clock import local_date
from models.occurrence import Occurrence
from models.outbox import Message, OutboxItem
from models.plan import Plan, Task
from models.reply_parser import DONE, EXTENSION, NOTE, PROGRESS, Instruction, parse_reply
from models.review.tables import ReviewCycle, ReviewRequest
from models.review.operations import year_occurrences
from models.updates import find_task, mark_done, pick_occurrence, record_note, record_progress
from notifications.inbound import Incoming, written_text
from notifications.outbox import ACTIONABLE_KINDS
from notifications.reply_address import ReplyAddresses, Tag

# The digest sections that are the recipient's own tasks (not "for information", not the summary).
OWN_SECTIONS = ("overdue", "due_today", "due_soon")


@dataclass
class Line:
    """What became of one line of the reply."""
    ref: str | None
    written: str
    recorded: bool
    vi: str
    en: str


@dataclass
class ReplyOutcome:
    outcome: str  # recorded, partly, not_understood, refused
    message: Message | None
    person: FocalPoint | None = None  # who gets the confirmation (None: nobody)
    lines: list[Line] = field(default_factory=list)
    refusal: tuple[str, str] | None = None  # why (vi, en), when refused
    task_count: int = 0

    @property
    def detail(self) -> str:
        if self.refusal:
            return self.refusal[1]
        return "\n".join(f"{'ok' if line.recorded else 'not recorded'}: {line.written} -> {line.en}" for line in self.lines)


def focal_points_of(session: Session, email: str) -> list[FocalPoint]:
    return list(session.exec(select(FocalPoint).where(func.lower(FocalPoint.email) == email.lower(),
                                                      FocalPoint.active == True)  # noqa: E712
                             .order_by(FocalPoint.id)))


def find_replied_message(session: Session, tags: list[Tag], replies: ReplyAddresses) -> Message | None:
    """The outbox message a genuine reply tag names."""
    for tag in tags:
        message = session.get(Message, tag.message_id)
        if message is not None and replies.is_genuine(tag, message.recipient_email):
            return message
    return None


def covered_tasks(session: Session, message: Message, agency_ids: set[int]) -> list[Task]:
    """The tasks of the person's agencies that the message was about: a digest's own lines; a review
    request's or chaser's tasks of the year."""
    if message.kind == "daily":
        statement = (select(Task).join(Occurrence, Occurrence.task_id == Task.id)
                     .join(OutboxItem, OutboxItem.occurrence_id == Occurrence.id)
                     .where(OutboxItem.message_id == message.id, OutboxItem.section.in_(OWN_SECTIONS),
                            Task.retired == False)  # noqa: E712
                     .distinct())
        return [task for task in session.exec(statement) if task.lead_agency_id in agency_ids]
    if message.kind in ("review_request", "review_chaser"):
        cycle = session.get(ReviewCycle, int(message.key.split("|")[1]))
        if cycle is None:
            return []
        plan = session.get(Plan, cycle.plan_id)
        asked = session.exec(select(ReviewRequest.agency_id).where(ReviewRequest.cycle_id == cycle.id,
                                                                   ReviewRequest.agency_id.in_(agency_ids))).all()
        tasks: dict[int, Task] = {}
        for agency_id in asked:
            for _, task in year_occurrences(session, plan, agency_id, cycle.year):
                tasks.setdefault(task.id, task)
        return list(tasks.values())
    return []


def answered_until(session: Session, message: Message, task: Task) -> date:
    """The last due date a reply to `message` may act on for `task`: what the email named (a digest's
    line for it, its late periods all before the day it was sent; a review's year), so a second "Đã
    hoàn thành" to the same email cannot complete next year's occurrence. A task the email did not
    name: what falls due within 30 days of it."""
    if message.kind in ("review_request", "review_chaser"):
        cycle = session.get(ReviewCycle, int(message.key.split("|")[1]))
        if cycle is not None:
            return date(cycle.year, 12, 31)
    named = session.exec(select(func.max(Occurrence.due_date)).join(OutboxItem, OutboxItem.occurrence_id == Occurrence.id)
                         .where(OutboxItem.message_id == message.id, Occurrence.task_id == task.id)).one()
    return max(named, message.send_date) if named else message.send_date + timedelta(days=30)


def apply_reply(session: Session, incoming: Incoming, *, message: Message | None, now: datetime) -> ReplyOutcome:
    """Check who wrote, read what they wrote, record it. `message`: the outbox message the reply tag
    names (None: no genuine tag)."""
    if message is None:
        known = focal_points_of(session, incoming.sender)
        return ReplyOutcome("refused", None, known[0] if known else None, refusal=(
            "Không xác định được anh/chị trả lời thư nào: hãy bấm Trả lời (Reply) ngay trên thư nhắc việc hệ thống gửi "
            "cho anh/chị và giữ nguyên địa chỉ trả lời.",
            "We could not tell which of our emails this answers: use Reply on the reminder we sent you, keeping its "
            "reply address."))
    if message.kind not in ACTIONABLE_KINDS:
        return ReplyOutcome("refused", message, None, refusal=(
            "Thư này không nhận trả lời.", f"a {message.kind} email cannot be answered"))
    if incoming.sender != message.recipient_email.strip().lower():
        # A forwarded email, or a reply from another address: the From does not match the reply key.
        known = focal_points_of(session, incoming.sender)
        return ReplyOutcome("refused", message, known[0] if known else None, refusal=(
            f"Thư nhắc việc này được gửi cho {message.recipient_email}, không phải cho {incoming.sender}: hệ thống chỉ "
            "ghi nhận thư trả lời từ chính người nhận. Hãy trả lời từ thư hệ thống gửi cho anh/chị.",
            f"That reminder was sent to {message.recipient_email}, not to {incoming.sender}: only its recipient can "
            "answer it."))
    people = focal_points_of(session, incoming.sender)
    if not people:
        return ReplyOutcome("refused", message, None, refusal=(
            "Anh/chị không còn là đầu mối của đơn vị nào trong danh bạ.", f"{incoming.sender} is no longer a focal point"))
    agency_ids = {fp.agency_id for fp in people}
    covered = covered_tasks(session, message, agency_ids)
    outcome = ReplyOutcome("not_understood", message, people[0], task_count=len(covered))
    parsed = parse_reply(written_text(incoming))
    for written, vi, en in parsed.problems:
        outcome.lines.append(Line(None, written, False, vi, en))
    today = local_date(now)
    sent_on = min(local_date(incoming.sent_at), today) if incoming.sent_at else today
    actor = f"email:{incoming.sender}"
    plans = {task.plan_id for task in covered}
    for instruction in parsed.instructions:
        outcome.lines.append(_apply(session, instruction, message=message, covered=covered, agency_ids=agency_ids, plans=plans,
                                    today=today, sent_on=sent_on, now=now, actor=actor))
    recorded = sum(line.recorded for line in outcome.lines)
    if recorded:
        outcome.outcome = "recorded" if recorded == len(outcome.lines) else "partly"
    return outcome


def _apply(session, instruction: Instruction, *, message: Message, covered: list[Task], agency_ids: set[int], plans: set[int],
           today: date, sent_on: date, now: datetime, actor: str) -> Line:
    def refused(vi: str, en: str) -> Line:
        return Line(instruction.ref, instruction.line, False, vi, en)

    if instruction.ref is None:
        if not covered:
            return refused("thư anh/chị trả lời không nêu nhiệm vụ nào của đơn vị: ghi mã nhiệm vụ ở đầu dòng, ví dụ "
                           "\"3.1.2-c: Đã hoàn thành\"",
                           "the email answered named none of your agency's tasks: start the line with the task's ref")
        if len(covered) != 1:
            return refused(
                f"thư nhắc có {len(covered)} nhiệm vụ của đơn vị: ghi mã nhiệm vụ ở đầu dòng, ví dụ "
                f"\"{covered[0].ref if covered else '3.1.2-c'}: Đã hoàn thành\"",
                f"the email covered {len(covered)} tasks: start the line with the task's ref")
        task = covered[0]
    else:
        plan_code = None
        if len(plans) == 1:
            plan = session.get(Plan, next(iter(plans)))
            plan_code = plan.code if plan else None
        try:
            task = find_task(session, ref=instruction.ref, plan_code=plan_code)
        except InputError as error:
            return refused(error.vi or f"không có nhiệm vụ mã {instruction.ref}", error.message)
        if task.lead_agency_id not in agency_ids:
            lead = session.get(Agency, task.lead_agency_id)
            return refused(f"nhiệm vụ {task.ref} do {lead.name_vi} chủ trì; anh/chị không phải đầu mối của đơn vị này",
                           f"{task.ref} is led by {lead.name_en}, which you are not a focal point of")
    plan_code = session.get(Plan, task.plan_id).code
    try:
        with session.begin_nested():
            occ = pick_occurrence(session, task=task, due=None)
            until = answered_until(session, message, task)
            if occ.due_date > until:
                raise InputError(f"what the email named of {task.ref} is done already; its next due date is "
                                 f"{occ.due_date:%d/%m/%Y}", field="ref",
                                 vi=f"các kỳ hạn của nhiệm vụ {task.ref} mà thư nhắc nêu đã được ghi nhận; kỳ tiếp theo "
                                    f"hạn {occ.due_date:%d/%m/%Y} chưa đến lúc báo cáo qua thư này")
            return _record(session, instruction, task, plan_code, occ.due_date, today=today, sent_on=sent_on, now=now,
                           actor=actor)
    except InputError as error:
        return refused(error.vi or error.message, error.message)


def _record(session, instruction: Instruction, task: Task, plan_code: str, due: date, *, today: date, sent_on: date,
            now: datetime, actor: str) -> Line:
    ref = task.ref
    if instruction.action == DONE:
        on = instruction.on or sent_on
        if on > today:
            raise InputError(f"the completion date {on:%d/%m/%Y} is after today ({today:%d/%m/%Y})", field="on",
                             vi=f"ngày hoàn thành {on:%d/%m/%Y} sau ngày hôm nay ({today:%d/%m/%Y})")
        occ = mark_done(session, ref=ref, on=on, note=instruction.note, at=now, actor=actor, due=due,
                        plan_code=plan_code)
        return Line(ref, instruction.line, True, f"đã ghi nhận hoàn thành ngày {on:%d/%m/%Y} (kỳ hạn {occ.due_date:%d/%m/%Y})",
                    f"recorded as done on {on:%d/%m/%Y} (due {occ.due_date:%d/%m/%Y})")
    if instruction.action == PROGRESS:
        occ = record_progress(session, ref=ref, percent=instruction.percent, note=instruction.note, at=now,
                              actor=actor, due=due, plan_code=plan_code)
        return Line(ref, instruction.line, True,
                    f"đã ghi nhận tiến độ {instruction.percent}% (kỳ hạn {occ.due_date:%d/%m/%Y})",
                    f"progress {instruction.percent}% recorded (due {occ.due_date:%d/%m/%Y})")
    if instruction.action == EXTENSION:
        record_note(session, ref=ref, note=f"Đề nghị gia hạn (qua email): {instruction.note or instruction.line}",
                    at=now, actor=actor, due=due, plan_code=plan_code)
        return Line(ref, instruction.line, True,
                    "hệ thống chưa nhận đề nghị gia hạn qua email; đã lưu thành ghi chú để Liên minh HTX tỉnh xem xét",
                    "extension requests by email are not supported yet; kept as a note for the Alliance")
    assert instruction.action == NOTE
    record_note(session, ref=ref, note=instruction.note or instruction.line, at=now, actor=actor, due=due,
                plan_code=plan_code)
    return Line(ref, instruction.line, True, "đã lưu ghi chú", "note kept")
