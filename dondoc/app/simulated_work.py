"""Simulated agencies and staff at work (`dondoc simulate --demo-agencies`): a fixed share of the
periods, chosen by a hash of the duty and its date (the same every run), is

- asked to be extended three days before it is due, by its lead agency (recorded as simulated:<code>),
  a month later; staff (simulated:staff) decide the next day: approve two in three, refuse the rest;
- reported done the day before it is due, and returned by staff two days after its due date.

Everything goes through the use cases people use (dondoc/app/task_work.py `perform`, models/updates.py
`mark_done`), so the emails, the audit, the reminders and the reports follow as they would."""
import hashlib
from datetime import date, time, timedelta

from sqlmodel import Session, select

from config.errors import InputError
from config.policy import Policy
from dondoc.app.context import AppContext
from dondoc.app.task_work import perform
from models.agency import Agency, FocalPoint
from models.clock import FixedClock
from models.db import transaction
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Task
from models.task_work import (RequestKind, RequestState, TaskRequest, Who, decide_extension, request_extension,
                              return_completion)
from models.updates import mark_done

STAFF = Who(actor="simulated:staff", staff=True)
EXTENDED, RETURNED = 0, 1  # the hash's remainders (of 10) that pick a period for each
ASK_DAYS_BEFORE, EXTEND_BY_DAYS, RETURN_DAYS_AFTER = 3, 30, 2


def pick(ref: str, due: date) -> int:
    return int(hashlib.sha256(f"{ref}|{due.isoformat()}".encode()).hexdigest()[:8], 16) % 10


def _due_on(session: Session, day: date, *, done: bool) -> list[tuple[Occurrence, Task, Agency]]:
    progress = Occurrence.progress == Progress.DONE if done else Occurrence.progress != Progress.DONE
    return list(session.exec(
        select(Occurrence, Task, Agency).join(Task, Task.id == Occurrence.task_id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .where(Occurrence.due_date == day, Occurrence.kind == OccurrenceKind.DEADLINE, progress,
               Occurrence.original_due.is_(None), Task.retired == False)  # noqa: E712
        .order_by(Task.ref)))


def _agency_who(session: Session, agency: Agency) -> Who:
    first = session.exec(select(FocalPoint.email).where(FocalPoint.agency_id == agency.id, FocalPoint.active == True)  # noqa: E712
                         .order_by(FocalPoint.id)).first()
    return Who(actor=f"simulated:{agency.code}", staff=False, agency_ids=frozenset({agency.id}), email=first)


def simulate_work_day(context: AppContext, day: date, policy: Policy) -> dict[str, int]:
    """The simulated work of one day (before its reminders run); how many of each were done."""
    at = FixedClock.on(day, time(9, 0)).now()
    done = dict(extensions_asked=0, extensions_approved=0, extensions_refused=0, completions=0, returned=0)
    run = lambda use_case, **arguments: perform(context.engine, context.settings, use_case, at=at,  # noqa: E731
                                                policy=policy, **arguments)
    with Session(context.engine) as session:
        pending = [(r.id, t.ref, r.due_then) for r, t in session.exec(
            select(TaskRequest, Task).join(Task, Task.id == TaskRequest.task_id).where(
                TaskRequest.kind == RequestKind.EXTENSION, TaskRequest.state == RequestState.PENDING,
                TaskRequest.requested_by.startswith("simulated:")).order_by(TaskRequest.id))]
        to_extend = [(t.ref, o.due_date, _agency_who(session, a))
                     for o, t, a in _due_on(session, day + timedelta(days=ASK_DAYS_BEFORE), done=False)
                     if pick(t.ref, o.due_date) == EXTENDED]
        to_complete = [(t.ref, o.due_date, a.code) for o, t, a in _due_on(session, day + timedelta(days=1), done=False)
                       if pick(t.ref, o.due_date) == RETURNED]
        to_return = [(t.ref, o.due_date) for o, t, a in _due_on(session, day - timedelta(days=RETURN_DAYS_AFTER), done=True)
                     if pick(t.ref, o.due_date) == RETURNED]
    def attempt(what: str, action) -> None:
        """One simulated action; one the rules refuse (a date another period has) is skipped."""
        try:
            action()
            done[what] += 1
        except InputError:
            pass

    for number, ref, due in pending:
        approve = int(hashlib.sha256(f"{ref}|{due.isoformat()}|decision".encode()).hexdigest()[:8], 16) % 3 != 0
        attempt("extensions_approved" if approve else "extensions_refused", lambda: run(
            decide_extension, who=STAFF, request_id=number, approve=approve,
            note=None if approve else "Không có lý do chính đáng (mô phỏng)"))
    for ref, due, who in to_extend:
        attempt("extensions_asked", lambda: run(request_extension, who=who, ref=ref, due=due,
                                                new_due=due + timedelta(days=EXTEND_BY_DAYS),
                                                reason="Cần thêm thời gian để hoàn thiện (mô phỏng)"))
    for ref, due, code in to_complete:
        def complete():
            with transaction(context.engine) as session:
                mark_done(session, ref=ref, on=day, note="Đã hoàn thành (mô phỏng)", due=due, at=at,
                          actor=f"simulated:{code}")
        attempt("completions", complete)
    for ref, due in to_return:
        attempt("returned", lambda: run(return_completion, who=STAFF, ref=ref, due=due,
                                        reason="Báo cáo chưa kèm sản phẩm (mô phỏng)"))
    return done
