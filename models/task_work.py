"""The work on a duty beyond recording it: extension requests (đề nghị gia hạn), returned reports
(trả lại) and explanation requests (yêu cầu giải trình).

Each use case is one function, called by the CLI, the web and the simulation alike; each checks who
asks (`Who`), writes the request row and the audit (who and why) in the caller's transaction, and
returns the request. Emails are queued by notifications/task_work.py in the same transaction.

An approved extension moves the occurrence's due date in force (`Occurrence.due_date`, which every
status rule, reminder and overdue query reads, and the partial indexes serve) and keeps the date the
plan gave in `Occurrence.original_due` (set on the first extension, never changed after): on-time
is judged against the approved date, reports show the original one and count extended duties apart.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, or_
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from config.errors import InputError
from config.limits import EARLIEST_DAY, LATEST_DAY
from models.audit import record
from models.clock import local_date
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Task
from models.status import occurrence_status, StatusCategory
from models.types import UtcDateTime
from models.updates import check_note, find_task


class RequestKind(StrEnum):
    EXTENSION = "extension"  # đề nghị gia hạn: a focal point asks, staff decide
    RETURN = "return"  # trả lại: staff return a recorded completion
    EXPLANATION = "explanation"  # yêu cầu giải trình: staff ask, the lead's focal point answers


class RequestState(StrEnum):
    PENDING = "pending"  # an extension waiting for a decision
    APPROVED = "approved"
    REFUSED = "refused"
    RETURNED = "returned"  # a return (done when made)
    OPEN = "open"  # an explanation not yet answered
    ANSWERED = "answered"


STATE_LABELS = {
    "pending": ("Chờ quyết định", "Awaiting a decision"),
    "approved": ("Đã đồng ý", "Approved"),
    "refused": ("Không đồng ý", "Refused"),
    "returned": ("Đã trả lại", "Returned"),
    "open": ("Chưa giải trình", "Not yet explained"),
    "answered": ("Đã giải trình", "Explained"),
}
KIND_LABELS = {
    "extension": ("Đề nghị gia hạn", "Extension request"),
    "return": ("Trả lại báo cáo", "Returned report"),
    "explanation": ("Yêu cầu giải trình", "Explanation request"),
}


class TaskRequest(SQLModel, table=True):
    """One extension request, return or explanation request on one occurrence (kept forever)."""
    __tablename__ = "task_request"
    __table_args__ = (
        Index("ix_task_request_task", "task_id", "id"),
        Index("ix_task_request_kind_state", "kind", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    kind: str = Field(max_length=20)
    state: str = Field(max_length=20)
    # The occurrence's due date in force when the request was made (for an extension: the one to move).
    due_then: date
    requested_by: str = Field(max_length=120)  # as the audit names them
    requested_email: str | None = Field(default=None, max_length=254)  # a focal point's, for the decision email
    requested_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    asked_due: date | None = None  # extension: the date asked for
    granted_due: date | None = None  # extension: the date approved (may differ from the one asked)
    answer_by: date | None = None  # explanation: answer by this day
    returned_completed_on: date | None = None  # return: the completion date that was returned
    decided_by: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    decision_note: str | None = Field(default=None, sa_column=Column(Text))  # decision note, or the explanation

    def label(self, language: str = "vi") -> str:
        vi, en = KIND_LABELS[self.kind]
        return en if language == "en" else vi

    def state_label(self, language: str = "vi") -> str:
        vi, en = STATE_LABELS[self.state]
        return en if language == "en" else vi


@dataclass(frozen=True)
class Who:
    """Who acts: staff (the web's staff, or the CLI's operator) or a focal point of some agencies."""
    actor: str  # as the audit names them
    staff: bool
    agency_ids: frozenset[int] = field(default_factory=frozenset)
    email: str | None = None

    def may_act_for(self, agency_id: int) -> bool:
        return self.staff or agency_id in self.agency_ids


class NotAllowed(InputError):
    """The person may not do this (the web answers 403)."""


def _refuse(en: str, vi: str, field: str = "user") -> NotAllowed:
    return NotAllowed(en, field=field, vi=vi)


def _reason(text: str | None, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise InputError("a reason is needed", field=field, vi="Cần nêu lý do")
    check_note(text)
    return text


def _occurrence(session: Session, task: Task, due: date | None) -> Occurrence:
    """The occurrence due on `due` (its date in force or its original one); none given: the earliest
    not yet done."""
    statement = select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.kind != OccurrenceKind.WITHDRAWN)
    if due is None:
        occ = session.exec(statement.where(Occurrence.progress != Progress.DONE).order_by(Occurrence.due_date)).first()
        if occ is None:
            raise InputError(f"every occurrence of {task.ref} is already done; name one with its due date",
                             field="due", vi=f"Mọi kỳ của nhiệm vụ {task.ref} đều đã hoàn thành; hãy chọn kỳ hạn")
        return occ
    occ = session.exec(statement.where(or_(Occurrence.due_date == due, Occurrence.original_due == due))
                       .order_by(Occurrence.due_date)).first()
    if occ is None:
        raise InputError(f"{task.ref} has no occurrence due {due:%d/%m/%Y}", field="due",
                         vi=f"Nhiệm vụ {task.ref} không có kỳ hạn ngày {due:%d/%m/%Y}")
    return occ


def _get(session: Session, request_id: int, kind: RequestKind) -> TaskRequest:
    found = session.get(TaskRequest, request_id) if 0 < request_id < 2 ** 31 else None
    if found is None or found.kind != kind:
        raise InputError(f"no {kind.value} request number {request_id}", field="request",
                         vi=f"Không có {KIND_LABELS[kind.value][0].lower()} số {request_id}")
    return found


def _audit(session, occ: Occurrence, task: Task, *, at, who: Who, field: str, old=None, new=None, note=None):
    record(session, at=at, actor=who.actor, entity="occurrence", entity_id=occ.id, ref=task.ref, field=field,
           old=old, new=new, note=note)


def extensions_of(session: Session, occurrence_id: int) -> int:
    """How many extensions of this occurrence were approved."""
    return len(session.exec(select(TaskRequest.id).where(
        TaskRequest.occurrence_id == occurrence_id, TaskRequest.kind == RequestKind.EXTENSION,
        TaskRequest.state == RequestState.APPROVED)).all())


def _check_day(day: date, field: str) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InputError(f"{day:%d/%m/%Y} is outside the dates dondoc works with", field=field,
                         vi=f"Ngày {day:%d/%m/%Y} nằm ngoài khoảng ngày hệ thống dùng")


def _check_new_due(session: Session, occ: Occurrence, task: Task, new_due: date, field: str) -> None:
    _check_day(new_due, field)
    if new_due <= occ.due_date:
        raise InputError(f"the new due date {new_due:%d/%m/%Y} must come after the one in force "
                         f"({occ.due_date:%d/%m/%Y})", field=field,
                         vi=f"Hạn mới {new_due:%d/%m/%Y} phải sau hạn hiện hành ({occ.due_date:%d/%m/%Y})")
    taken = session.exec(select(Occurrence.id).where(Occurrence.task_id == task.id, Occurrence.due_date == new_due,
                                                     Occurrence.id != occ.id)).first()
    if taken is not None:
        raise InputError(f"{task.ref} has another period due {new_due:%d/%m/%Y}: choose another date", field=field,
                         vi=f"Nhiệm vụ {task.ref} đã có kỳ khác hạn {new_due:%d/%m/%Y}: hãy chọn ngày khác")


def request_extension(session: Session, *, who: Who, ref: str, due: date | None, new_due: date, reason: str,
                      at: datetime, max_extensions: int | None, plan_code: str | None = None) -> TaskRequest:
    """A focal point of the lead agency (or staff) asks that one occurrence be due on `new_due`.

    Before or after the due date; only on a duty with a deadline that is not done; one pending request
    per occurrence; at most `max_extensions` approved ones (the policy; None: no cap)."""
    task = find_task(session, ref=ref, plan_code=plan_code)
    if not who.may_act_for(task.lead_agency_id):
        raise _refuse(f"only the lead agency's focal points or staff may ask to extend {task.ref}",
                      f"Chỉ đầu mối của cơ quan chủ trì hoặc cán bộ Liên minh được đề nghị gia hạn nhiệm vụ {task.ref}")
    occ = _occurrence(session, task, due)
    reason = _reason(reason)
    if occ.kind != OccurrenceKind.DEADLINE:
        raise InputError(f"{task.ref} has no deadline on {occ.due_date:%d/%m/%Y}: nothing to extend", field="due",
                         vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} không phải thời hạn: không cần gia hạn")
    if occ.progress == Progress.DONE:
        raise InputError(f"{task.ref} due {occ.due_date:%d/%m/%Y} is done: nothing to extend", field="due",
                         vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} đã hoàn thành: không cần gia hạn")
    _check_new_due(session, occ, task, new_due, "new_due")
    pending = session.exec(select(TaskRequest.id).where(
        TaskRequest.occurrence_id == occ.id, TaskRequest.kind == RequestKind.EXTENSION,
        TaskRequest.state == RequestState.PENDING)).first()
    if pending is not None:
        raise InputError(f"an extension of {task.ref} due {occ.due_date:%d/%m/%Y} is already awaiting a decision "
                         f"(request {pending})", field="due",
                         vi=f"Đã có đề nghị gia hạn kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} đang chờ "
                            f"quyết định (số {pending})")
    if max_extensions is not None and extensions_of(session, occ.id) >= max_extensions:
        raise InputError(f"{task.ref} due {occ.due_date:%d/%m/%Y} has been extended {max_extensions} times already, "
                         f"the most the policy allows (work.max_extensions_per_occurrence)", field="due",
                         vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} đã được gia hạn {max_extensions} "
                            f"lần, mức tối đa theo quy định")
    found = TaskRequest(task_id=task.id, occurrence_id=occ.id, kind=RequestKind.EXTENSION, state=RequestState.PENDING,
                        due_then=occ.due_date, requested_by=who.actor, requested_email=who.email,
                        requested_at=at, reason=reason, asked_due=new_due)
    session.add(found)
    session.flush()
    _audit(session, occ, task, at=at, who=who, field="extension_requested", new=new_due.isoformat(), note=reason)
    return found


def decide_extension(session: Session, *, who: Who, request_id: int, approve: bool, note: str | None,
                     at: datetime, granted_due: date | None = None, max_extensions: int | None = None) -> TaskRequest:
    """Staff approve (the date asked, or `granted_due`) or refuse a pending extension, with a note.
    An approval moves the occurrence's due date in force and keeps its original one."""
    found = _get(session, request_id, RequestKind.EXTENSION)
    if not who.staff:
        raise _refuse("only staff decide on extensions (a focal point cannot approve their own)",
                      "Chỉ cán bộ Liên minh quyết định gia hạn (đầu mối không tự duyệt đề nghị của mình)")
    if found.state != RequestState.PENDING:
        raise InputError(f"extension request {request_id} was decided already ({found.state})", field="request",
                         vi=f"Đề nghị gia hạn số {request_id} đã được quyết định ({found.state_label()})")
    note = (note or "").strip() or None
    check_note(note)
    occ = session.get(Occurrence, found.occurrence_id)
    task = session.get(Task, found.task_id)
    found.decided_by, found.decided_at, found.decision_note = who.actor, at, note
    if not approve:
        if not note:
            raise InputError("a refusal needs a note saying why", field="note", vi="Cần ghi rõ lý do không đồng ý")
        found.state = RequestState.REFUSED
        _audit(session, occ, task, at=at, who=who, field="extension_refused", new=found.asked_due.isoformat(), note=note)
        return found
    new_due = granted_due or found.asked_due
    if occ.progress == Progress.DONE:
        raise InputError(f"{task.ref} due {occ.due_date:%d/%m/%Y} was completed meanwhile: refuse the request instead",
                         field="request", vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} đã hoàn thành: "
                                             f"hãy chọn không đồng ý")
    _check_new_due(session, occ, task, new_due, "granted_due")
    if max_extensions is not None and extensions_of(session, occ.id) >= max_extensions:
        raise InputError(f"{task.ref} due {occ.due_date:%d/%m/%Y} has been extended {max_extensions} times already",
                         field="request", vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} đã được gia hạn "
                                             f"{max_extensions} lần, mức tối đa theo quy định")
    found.state, found.granted_due = RequestState.APPROVED, new_due
    if occ.original_due is None:
        occ.original_due = occ.due_date
    _audit(session, occ, task, at=at, who=who, field="due_date", old=occ.due_date.isoformat(),
           new=new_due.isoformat(), note=note or f"gia hạn theo đề nghị số {found.id}")
    occ.due_date, occ.updated_at = new_due, at
    return found


def return_completion(session: Session, *, who: Who, ref: str, due: date | None, reason: str, at: datetime,
                      plan_code: str | None = None) -> TaskRequest:
    """Staff return a recorded completion: the occurrence is open again, as if it had never been
    completed (the history keeps the completion and the return)."""
    if not who.staff:
        raise _refuse("only staff may return a report", "Chỉ cán bộ Liên minh được trả lại báo cáo")
    task = find_task(session, ref=ref, plan_code=plan_code)
    reason = _reason(reason)
    if due is None:
        occ = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.progress == Progress.DONE)
                           .order_by(Occurrence.completed_on.desc(), Occurrence.due_date.desc())).first()
        if occ is None:
            raise InputError(f"{task.ref} has no recorded completion to return", field="due",
                             vi=f"Nhiệm vụ {task.ref} chưa có báo cáo hoàn thành nào để trả lại")
    else:
        occ = _occurrence(session, task, due)
    if occ.progress != Progress.DONE:
        raise InputError(f"{task.ref} due {occ.due_date:%d/%m/%Y} has no recorded completion to return", field="due",
                         vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} chưa được báo cáo hoàn thành")
    found = TaskRequest(task_id=task.id, occurrence_id=occ.id, kind=RequestKind.RETURN, state=RequestState.RETURNED,
                        due_then=occ.due_date, requested_by=who.actor, requested_email=who.email, requested_at=at,
                        reason=reason, returned_completed_on=occ.completed_on, decided_by=who.actor, decided_at=at)
    session.add(found)
    session.flush()
    _audit(session, occ, task, at=at, who=who, field="returned", old=occ.completed_on, note=reason)
    for name, new in (("progress", Progress.OPEN.value), ("completed_on", None), ("progress_percent", None)):
        old = getattr(occ, name)
        if old != new:
            _audit(session, occ, task, at=at, who=who, field=name, old=old, new=new, note=reason)
            setattr(occ, name, new)
    occ.updated_at = at
    from models.reassignment import follow_the_duty
    follow_the_duty(session, occ, ref=task.ref, at=at, actor=who.actor, note=reason)
    return found


def is_late(occ: Occurrence, today: date) -> bool:
    return occurrence_status(occ, today) in (StatusCategory.OPEN_OVERDUE, StatusCategory.DONE_LATE)


def request_explanation(session: Session, *, who: Who, ref: str, due: date | None, answer_by: date, reason: str,
                        at: datetime, plan_code: str | None = None) -> TaskRequest:
    """Staff ask the lead agency to explain a late duty (overdue, or done late) by `answer_by`."""
    if not who.staff:
        raise _refuse("only staff may ask for an explanation", "Chỉ cán bộ Liên minh được yêu cầu giải trình")
    task = find_task(session, ref=ref, plan_code=plan_code)
    reason = _reason(reason)
    today = local_date(at)
    if due is None:
        late = [o for o in session.exec(select(Occurrence).where(Occurrence.task_id == task.id)
                                        .order_by(Occurrence.due_date)) if is_late(o, today)]
        if not late:
            raise InputError(f"{task.ref} is not late on {today:%d/%m/%Y}: nothing to explain", field="due",
                             vi=f"Nhiệm vụ {task.ref} không chậm tính đến ngày {today:%d/%m/%Y}: không cần giải trình")
        occ = late[0]
    else:
        occ = _occurrence(session, task, due)
        if not is_late(occ, today):
            raise InputError(f"{task.ref} due {occ.due_date:%d/%m/%Y} is not late on {today:%d/%m/%Y}: nothing to "
                             f"explain", field="due",
                             vi=f"Kỳ {occ.due_date:%d/%m/%Y} của nhiệm vụ {task.ref} không chậm tính đến ngày "
                                f"{today:%d/%m/%Y}: không cần giải trình")
    _check_day(answer_by, "answer_by")
    if answer_by < today:
        raise InputError(f"the answer date {answer_by:%d/%m/%Y} is before today ({today:%d/%m/%Y})", field="answer_by",
                         vi=f"Hạn giải trình {answer_by:%d/%m/%Y} trước ngày hôm nay ({today:%d/%m/%Y})")
    found = TaskRequest(task_id=task.id, occurrence_id=occ.id, kind=RequestKind.EXPLANATION, state=RequestState.OPEN,
                        due_then=occ.due_date, requested_by=who.actor, requested_email=who.email, requested_at=at,
                        reason=reason, answer_by=answer_by)
    session.add(found)
    session.flush()
    _audit(session, occ, task, at=at, who=who, field="explanation_requested", new=answer_by.isoformat(), note=reason)
    return found


def answer_explanation(session: Session, *, who: Who, request_id: int, answer: str, at: datetime) -> TaskRequest:
    """The lead agency's focal point (or staff, writing what they were told) answers an explanation request."""
    found = _get(session, request_id, RequestKind.EXPLANATION)
    task = session.get(Task, found.task_id)
    if not who.may_act_for(task.lead_agency_id):
        raise _refuse(f"only the lead agency's focal points or staff may answer for {task.ref}",
                      f"Chỉ đầu mối của cơ quan chủ trì được giải trình về nhiệm vụ {task.ref}")
    if found.state != RequestState.OPEN:
        raise InputError(f"explanation request {request_id} was answered already", field="request",
                         vi=f"Yêu cầu giải trình số {request_id} đã được trả lời")
    answer = _reason(answer, "answer")
    found.state, found.decided_by, found.decided_at, found.decision_note = RequestState.ANSWERED, who.actor, at, answer
    occ = session.get(Occurrence, found.occurrence_id)
    _audit(session, occ, task, at=at, who=who, field="explanation_answered", note=answer)
    return found


# --- reading ---------------------------------------------------------------------------------

def requests_of_task(session: Session, task_id: int) -> list[TaskRequest]:
    return list(session.exec(select(TaskRequest).where(TaskRequest.task_id == task_id).order_by(TaskRequest.id)))


def open_explanations(session: Session) -> list[tuple[TaskRequest, Task]]:
    """Explanation requests not yet answered, the earliest answer date first (the staff overview)."""
    return list(session.exec(select(TaskRequest, Task).join(Task, Task.id == TaskRequest.task_id).where(
        TaskRequest.kind == RequestKind.EXPLANATION, TaskRequest.state == RequestState.OPEN)
        .order_by(TaskRequest.answer_by, TaskRequest.id)))


def pending_extensions(session: Session) -> list[tuple[TaskRequest, Task]]:
    """Extension requests awaiting a decision (the staff overview)."""
    return list(session.exec(select(TaskRequest, Task).join(Task, Task.id == TaskRequest.task_id).where(
        TaskRequest.kind == RequestKind.EXTENSION, TaskRequest.state == RequestState.PENDING)
        .order_by(TaskRequest.id)))


def answered_explanations(session: Session, plan_id: int, until: date) -> list[tuple[TaskRequest, Task]]:
    """Explanations given by the day `until` on one plan's duties (the báo cáo's annex)."""
    rows = session.exec(select(TaskRequest, Task).join(Task, Task.id == TaskRequest.task_id).where(
        Task.plan_id == plan_id, TaskRequest.kind == RequestKind.EXPLANATION,
        TaskRequest.state == RequestState.ANSWERED).order_by(Task.ref, TaskRequest.id))
    return [(r, t) for r, t in rows if local_date(r.decided_at) <= until]
