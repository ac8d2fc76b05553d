"""The task page's forms for extension requests, returned reports and explanation requests: one route
(POST /requests/{ref}) whose `action` names the use case of models/task_work.py, run through the same
wiring as the CLI (dondoc/app/task_work.py: the change, its audit and its emails in one transaction).

Who may do what is the use case's rule (a focal point asks to extend and answers for their own
agency's duties; staff decide, return and ask for explanations); the page only shows each person the
forms they may use."""
from datetime import date

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from config.errors import InputError
from dondoc.app.task_work import perform
from dondoc.web import Forbidden, context_of, plan_now
from dondoc.web.access import User, require_agency, signed_in
from dondoc.web.security import check_csrf
from dondoc.web.tasks import _day, _show, _task_or_404
from models.clock import vn_time
from models.occurrence import OccurrenceKind, Progress
from models.task_work import (NotAllowed, RequestKind, RequestState, Who, answer_explanation,
                              decide_extension, is_late, request_extension, request_explanation, requests_of_task,
                              return_completion)

router = APIRouter()
ACTIONS = ("extend", "decide", "return", "explain", "answer")


def who_of(user: User) -> Who:
    return Who(actor=user.actor, staff=user.is_staff, agency_ids=user.agency_ids,
               email=None if user.is_staff else user.email)


def work_context(session: Session, task, occurrences, user: User, today: date) -> dict:
    """What the task page's partial (task_work.html) shows: the requests, and the forms this person may use."""
    found = requests_of_task(session, task.id)
    due_of = {o.id: o for o in occurrences}
    shown = lambda moment: vn_time(moment).strftime("%d/%m/%Y %H:%M") if moment else ""  # noqa: E731
    live = [o for o in occurrences if o.kind != OccurrenceKind.WITHDRAWN]
    return dict(
        requests=[(r, due_of.get(r.occurrence_id), shown(r.requested_at), shown(r.decided_at)) for r in found],
        extendable=[o for o in live if o.kind == OccurrenceKind.DEADLINE and o.progress != Progress.DONE],
        returnable=[o for o in live if o.progress == Progress.DONE] if user.is_staff else [],
        explainable=[o for o in live if is_late(o, today)] if user.is_staff else [],
        pending=[r for r in found if r.kind == RequestKind.EXTENSION and r.state == RequestState.PENDING],
        unanswered=[r for r in found if r.kind == RequestKind.EXPLANATION and r.state == RequestState.OPEN],
    )


@router.post("/requests/{ref:path}")
def task_request(request: Request, ref: str, user: User = Depends(signed_in), csrf: str = Form(""),
                 action: str = Form(""), due: str = Form(""), new_due: str = Form(""), answer_by: str = Form(""),
                 reason: str = Form(""), note: str = Form(""), number: str = Form(""), decision: str = Form("")):
    """action=extend (due, new_due, reason), decide (number, decision=approve|refuse, new_due, note),
    return (due, reason), explain (due, answer_by, reason) or answer (number, note)."""
    check_csrf(request, csrf)
    context = context_of(request)
    with Session(context.engine) as session:
        task = _task_or_404(session, ref, request)
        require_agency(user, task.lead_agency_id)
    if action not in ACTIONS:
        raise HTTPException(400, "unknown action")
    lang_en = request.cookies.get("lang") == "en"
    form = dict(action=action, due=due, new_due=new_due, answer_by=answer_by, reason=reason, note=note,
                number=number, decision=decision)
    who, at = who_of(user), plan_now(request)
    try:
        number_value = None
        if action in ("decide", "answer"):
            try:
                number_value = int(number)
            except ValueError:
                raise InputError("no request chosen", field="number", vi="Chưa chọn đề nghị") from None
        run = lambda use_case, **arguments: perform(context.engine, context.settings, use_case, at=at, **arguments)  # noqa: E731
        if action == "extend":
            run(request_extension, who=who, ref=task.ref, due=_day(due, "due"), new_due=_needed(new_due, "new_due"),
                reason=reason)
        elif action == "decide":
            if decision not in ("approve", "refuse"):
                raise InputError("approve or refuse", field="decision", vi="Chọn đồng ý hoặc không đồng ý")
            _owned(number_value, task.id, context)
            run(decide_extension, who=who, request_id=number_value, approve=decision == "approve",
                granted_due=_day(new_due, "new_due"), note=note)
        elif action == "return":
            run(return_completion, who=who, ref=task.ref, due=_day(due, "due"), reason=reason)
        elif action == "explain":
            run(request_explanation, who=who, ref=task.ref, due=_day(due, "due"),
                answer_by=_needed(answer_by, "answer_by"), reason=reason)
        else:
            _owned(number_value, task.id, context)
            run(answer_explanation, who=who, request_id=number_value, answer=note)
    except NotAllowed:
        raise Forbidden() from None
    except InputError as error:
        message = error.message if lang_en or not error.vi else error.vi
        return _show(request, ref, user, status_code=400, error=message, form=form)
    return RedirectResponse(f"/tasks/{task.ref}?saved={action}", status_code=303)


def _needed(value: str, field: str) -> date:
    day = _day(value, field)
    if day is None:
        raise InputError(f"{field}: a date is needed", field=field, vi="Cần nhập ngày (ngày/tháng/năm)")
    return day


def _owned(number: int, task_id: int, context) -> None:
    """A request is decided or answered on its own task's page only."""
    from models.task_work import TaskRequest
    with Session(context.engine) as session:
        found = session.get(TaskRequest, number) if 0 < number < 2 ** 31 else None
    if found is None or found.task_id != task_id:
        raise InputError(f"no request number {number} on this task", field="number",
                         vi=f"Nhiệm vụ này không có đề nghị số {number}")
