"""The annual review in the database: opening a cycle, what each agency is asked, links, submissions
(which update the agency's occurrences through models/updates.py and the audit), and who is missing.
Everything happens in the caller's transaction."""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from config.errors import InputError
from models.agency import Agency, AgencyKind
from models.audit import record
from models.clock import local_date, vn_time
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.status import StatusCategory, occurrence_status
from models.plan import Plan, Task, TaskCoordinator
from models.review.rules import (
    CycleDates, ReportedStatus, cycle_dates, hash_token, is_expired, is_late, new_token, phase, refusal,
    token_matches,
)
from models.review.tables import Channel, IndicatorValue, ReviewCycle, ReviewRequest, ReviewSubmission, ReviewToken
from models.review.inputs import Asked, AskedTask, ValidInputs, validate_inputs
from models.updates import mark_done, mark_open, record_progress

_KIND_ORDER = {AgencyKind.DEPARTMENT: 0, AgencyKind.OTHER: 1, AgencyKind.STEERING_COMMITTEE: 2,
               AgencyKind.DISTRICT: 3, AgencyKind.ALLIANCE: 4}


class TokenRefused(Exception):
    def __init__(self, reason: str):  # unknown | expired
        self.reason = reason
        super().__init__(reason)


def find_plan(session: Session, code: str | None) -> Plan:
    plans = session.exec(select(Plan).order_by(Plan.id)).all()
    if code:
        for plan in plans:
            if plan.code == code:
                return plan
        raise InputError(f"no plan with code {code}", field="--plan", vi=f"không có kế hoạch nào mã {code}")
    if not plans:
        raise InputError("no plan is loaded yet: run `dondoc plan load FILE` first", field="plan",
                         vi="chưa nạp kế hoạch nào: hãy chạy `dondoc plan load TỆP` trước")
    if len(plans) > 1:
        raise InputError(f"several plans are loaded; name one with --plan ({', '.join(p.code for p in plans)})",
                         field="--plan",
                         vi=f"đã nạp nhiều kế hoạch; chọn một bằng --plan ({', '.join(p.code for p in plans)})")
    return plans[0]


def check_year(plan: Plan, year: int) -> None:
    if not plan.horizon_start.year <= year <= plan.horizon_end.year:
        raise InputError(f"{year} is outside the plan's years ({plan.horizon_start.year}-{plan.horizon_end.year})",
                         field="YEAR",
                         vi=f"năm {year} nằm ngoài thời gian của kế hoạch "
                            f"({plan.horizon_start.year}-{plan.horizon_end.year})")


def dates_for(plan: Plan, year: int, review_policy) -> CycleDates:
    return cycle_dates(year, review_policy, plan.review_inputs_due)


# The body that compiles the review (the Alliance) and the steering committee it serves report to
# nobody in it: they are never asked, chased or listed as late (their duties are in the report).
COMPILING_KINDS = (AgencyKind.ALLIANCE, AgencyKind.STEERING_COMMITTEE)


def reporting_agencies(session: Session, plan: Plan) -> list[Agency]:
    """Every lead agency of the plan's live tasks, and the district-level units it names as
    coordinators (the plan's own agencies, never another province's in a shared database); not the
    compiling body nor its steering committee."""
    live = select(Task.id).where(Task.plan_id == plan.id, Task.retired == False)  # noqa: E712
    lead_ids = set(session.exec(select(Task.lead_agency_id).where(Task.id.in_(live))))
    coordinator_ids = set(session.exec(select(TaskCoordinator.agency_id).where(TaskCoordinator.task_id.in_(live))))
    candidates = session.exec(select(Agency).where(Agency.id.in_(lead_ids | coordinator_ids))).all()
    agencies = [a for a in candidates
                if (a.id in lead_ids or a.kind == AgencyKind.DISTRICT) and a.kind not in COMPILING_KINDS]
    return sorted(agencies, key=lambda a: (_KIND_ORDER.get(a.kind, 1), a.code))


def compiling_body(session: Session, plan: Plan) -> list[Agency]:
    """The Alliance of the plan (leading or coordinating its live tasks; never another province's in a
    shared database): it compiles the review, and its staff hear who has not reported."""
    live = select(Task.id).where(Task.plan_id == plan.id, Task.retired == False)  # noqa: E712
    ids = set(session.exec(select(Task.lead_agency_id).where(Task.id.in_(live))))
    ids |= set(session.exec(select(TaskCoordinator.agency_id).where(TaskCoordinator.task_id.in_(live))))
    return list(session.exec(select(Agency).where(Agency.id.in_(ids), Agency.kind == AgencyKind.ALLIANCE)
                             .order_by(Agency.id)))


def asks_indicators(agency: Agency) -> bool:
    return agency.kind in (AgencyKind.DISTRICT, AgencyKind.ALLIANCE)


def get_cycle(session: Session, plan: Plan, year: int) -> ReviewCycle | None:
    return session.exec(select(ReviewCycle).where(ReviewCycle.plan_id == plan.id, ReviewCycle.year == year)).first()


def require_cycle(session: Session, plan: Plan, year: int) -> ReviewCycle:
    cycle = get_cycle(session, plan, year)
    if cycle is None:
        raise InputError(f"the {year} review of {plan.code} is not open yet: run `dondoc review open {year}`",
                         field="YEAR",
                         vi=f"sơ kết năm {year} của kế hoạch {plan.code} chưa mở: hãy chạy `dondoc review open {year}`")
    return cycle


@dataclass
class Opened:
    cycle: ReviewCycle
    created: bool
    new_requests: list[tuple[ReviewRequest, Agency]] = field(default_factory=list)


def open_cycle(session: Session, plan: Plan, year: int, *, now: datetime, review_policy, actor: str) -> Opened:
    """The year's cycle with one request per reporting agency. Opening again adds only what is
    missing (an agency added to the directory since), so it is safe to repeat."""
    check_year(plan, year)
    cycle = get_cycle(session, plan, year)
    created = cycle is None
    if created:
        dates = dates_for(plan, year, review_policy)
        if now >= dates.closes_at:
            raise InputError(f"the {year} review would already be closed ({dates.report_due:%d/%m/%Y})", field="YEAR",
                             vi=f"sơ kết năm {year} lẽ ra đã kết thúc ({dates.report_due:%d/%m/%Y})")
        cycle = ReviewCycle(plan_id=plan.id, year=year, opens_on=dates.opens_on, inputs_due=dates.inputs_due,
                            report_due=dates.report_due, closes_at=dates.closes_at, opened_at=now)
        session.add(cycle)
        session.flush()
        record(session, at=now, actor=actor, entity="review_cycle", entity_id=cycle.id, ref=f"{plan.code}/{year}",
               field="created", new=f"{dates.opens_on:%d/%m/%Y} → {dates.inputs_due:%d/%m/%Y} → "
                                    f"{dates.report_due:%d/%m/%Y}")
    opened = Opened(cycle, created)
    existing = set(session.exec(select(ReviewRequest.agency_id).where(ReviewRequest.cycle_id == cycle.id)))
    for agency in reporting_agencies(session, plan):
        if agency.id in existing:
            continue
        request = ReviewRequest(cycle_id=cycle.id, agency_id=agency.id, asks_indicators=asks_indicators(agency),
                                created_at=now)
        session.add(request)
        session.flush()
        record(session, at=now, actor=actor, entity="review_request", entity_id=request.id,
               ref=f"{plan.code}/{year}/{agency.code}", field="created", new=agency.code)
        opened.new_requests.append((request, agency))
    return opened


# --- links -------------------------------------------------------------------------------------

def issue_token(session: Session, request: ReviewRequest, cycle: ReviewCycle, *, now: datetime, reason: str) -> str:
    """A new link for a request; the raw token is returned once (for the email) and never stored."""
    token = new_token()
    session.add(ReviewToken(request_id=request.id, token_hash=hash_token(token), issued_at=now,
                            expires_at=cycle.closes_at, reason=reason))
    session.flush()
    return token


def review_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/review/{token}"


def request_for_token(session: Session, token: str, now: datetime) -> tuple[ReviewRequest, ReviewCycle, Agency]:
    """The request a link opens, or TokenRefused('unknown' | 'expired')."""
    if not token or len(token) > 200:
        raise TokenRefused("unknown")
    row = session.exec(select(ReviewToken).where(ReviewToken.token_hash == hash_token(token))).first()
    if row is None or not token_matches(token, row.token_hash):
        raise TokenRefused("unknown")
    request = session.get(ReviewRequest, row.request_id)
    cycle = session.get(ReviewCycle, request.cycle_id)
    if is_expired(row.expires_at, now) or cycle.is_closed(now):
        raise TokenRefused("expired")
    return request, cycle, session.get(Agency, request.agency_id)


# --- what an agency is asked -------------------------------------------------------------------

@dataclass
class FormLine:
    occurrence_id: int
    ref: str
    title: str
    due: date
    status: StatusCategory
    progress: str
    percent: int | None
    completed_on: date | None
    note: str | None
    reported: dict | None = None  # what the latest submission said about it

    @property
    def reported_status(self) -> str:
        if self.reported:
            return self.reported["status"]
        if self.progress == Progress.DONE:
            return ReportedStatus.DONE
        return ReportedStatus.IN_PROGRESS if self.progress == Progress.IN_PROGRESS else ""


@dataclass
class Form:
    plan: Plan
    cycle: ReviewCycle
    request: ReviewRequest
    agency: Agency
    lines: list[FormLine]
    latest: ReviewSubmission | None

    @property
    def asked(self) -> Asked:
        return Asked(self.agency.code, self.cycle.year,
                     [AskedTask(line.occurrence_id, line.ref, line.title, line.due) for line in self.lines],
                     self.request.asks_indicators)

    def refusal(self, now: datetime, language: str = "en") -> str | None:
        return refusal(closes_at=self.cycle.closes_at, inputs_due=self.cycle.inputs_due,
                       already_submitted=self.request.submitted_at is not None, now=now, language=language)


def year_occurrences(session: Session, plan: Plan, agency_id: int, year: int):
    """The agency's occurrences the review of `year` covers: those due in the year, and earlier
    deadlines still open or completed during it; a no-deadline duty's check-in of that year only. Not
    the duty of sending the review itself (4.2-b): the submission completes it."""
    first = date(year, 1, 1)
    rows = session.exec(
        select(Occurrence, Task).join(Task, Occurrence.task_id == Task.id)
        .where(Task.plan_id == plan.id, Task.lead_agency_id == agency_id, Task.retired == False,  # noqa: E712
               Occurrence.kind.in_([OccurrenceKind.DEADLINE, OccurrenceKind.CHECKIN]),
               Occurrence.due_date <= date(year, 12, 31),
               or_(Task.review_role == None, Task.review_role != "inputs"))  # noqa: E711
        .order_by(Occurrence.due_date, Task.ref)
    ).all()
    return [(occ, task) for occ, task in rows
            if occ.due_date >= first or (occ.kind == OccurrenceKind.DEADLINE and (
                occ.progress != Progress.DONE or (occ.completed_on is not None and occ.completed_on >= first)))]


def form_for(session: Session, request: ReviewRequest, now: datetime) -> Form:
    cycle = session.get(ReviewCycle, request.cycle_id)
    plan = session.get(Plan, cycle.plan_id)
    agency = session.get(Agency, request.agency_id)
    latest = current_submission(session, request.id)
    reported = {t["occurrence_id"]: t for t in (latest.payload.get("tasks", []) if latest else [])}
    lines = [FormLine(occ.id, task.ref, task.title, occ.due_date, occurrence_status(occ, local_date(now)), occ.progress,
                      occ.progress_percent, occ.completed_on, occ.note, reported.get(occ.id))
             for occ, task in year_occurrences(session, plan, agency.id, cycle.year)]
    return Form(plan, cycle, request, agency, lines, latest)


def current_submission(session: Session, request_id: int) -> ReviewSubmission | None:
    return session.exec(select(ReviewSubmission).where(ReviewSubmission.request_id == request_id,
                                                       ReviewSubmission.replaced_by_id == None)  # noqa: E711
                        .order_by(ReviewSubmission.id.desc())).first()


def request_of(session: Session, cycle: ReviewCycle, agency_code: str) -> ReviewRequest:
    agency = session.exec(select(Agency).where(Agency.code == agency_code)).first()
    if agency is None:
        raise InputError(f"no agency with code {agency_code}", field="--agency", vi=f"không có cơ quan nào mã {agency_code}")
    request = session.exec(select(ReviewRequest).where(ReviewRequest.cycle_id == cycle.id,
                                                       ReviewRequest.agency_id == agency.id)).first()
    if request is None:
        raise InputError(f"{agency_code} is not asked for the {cycle.year} review (it leads no task of the plan)",
                         field="--agency",
                         vi=f"{agency_code} không được đề nghị báo cáo sơ kết năm {cycle.year} (không chủ trì nhiệm vụ "
                            "nào của kế hoạch)")
    return request


# --- submitting --------------------------------------------------------------------------------

class SubmissionRefused(InputError):
    """The cycle no longer takes this agency's inputs (closed, or already submitted and past due)."""


@dataclass
class Accepted:
    submission: ReviewSubmission
    inputs: ValidInputs
    replaced: bool  # it replaces an earlier submission


def accept_submission(session: Session, form: Form, raw, *, now: datetime, actor: str, channel: Channel,
                      source_name: str | None = None, note: str | None = None) -> Accepted:
    """An agency's review inputs accepted, the one way the CLI (a file), the web form and the
    simulation all take them: refused if the cycle no longer takes them (`SubmissionRefused`, whatever
    the inputs say), then checked field by field (`ReviewInvalid`, naming every problem), then
    submitted. Nothing is written unless all three pass; the caller's transaction holds it."""
    reason = form.refusal(now)
    if reason:
        raise SubmissionRefused(reason, field="submission", vi=form.refusal(now, "vi"))
    inputs = validate_inputs(raw, form.asked, local_date(now))
    replaced = form.latest is not None
    return Accepted(_submit(session, form, inputs, now=now, actor=actor, channel=channel, source_name=source_name,
                            note=note), inputs, replaced)


def _submit(session: Session, form: Form, inputs: ValidInputs, *, now: datetime, actor: str, channel: Channel,
            source_name: str | None, note: str | None) -> ReviewSubmission:
    """Validated inputs recorded: a new submission replacing the current one (both stay, both audited),
    its indicator values, and the reported statuses written onto the agency's occurrences."""
    request, cycle, plan, agency = form.request, form.cycle, form.plan, form.agency
    ref = f"{plan.code}/{cycle.year}/{agency.code}"
    late = is_late(now, cycle.inputs_due)
    submission = ReviewSubmission(request_id=request.id, submitted_at=now, channel=channel, actor=actor, late=late,
                                  payload=inputs.as_payload(), source_name=source_name, note=note)
    session.add(submission)
    session.flush()
    previous = form.latest
    if previous is not None:
        previous.replaced_by_id = submission.id
        record(session, at=now, actor=actor, entity="review_submission", entity_id=previous.id, ref=ref,
               field="replaced_by", old=None, new=submission.id, note="resubmitted before the deadline")
    record(session, at=now, actor=actor, entity="review_request", entity_id=request.id, ref=ref, field="submission",
           old=previous.id if previous else None, new=submission.id,
           note=f"{channel}{' (late)' if late else ''}{': ' + note if note else ''}")
    session.add_all(IndicatorValue(submission_id=submission.id, cycle_id=cycle.id, agency_id=agency.id,
                                   indicator=code, value=value) for code, value in inputs.indicators.items())
    request.submitted_at = now
    request.late = late
    why = f"sơ kết năm {cycle.year} ({channel})"
    day = local_date(now)
    for line in inputs.tasks:
        due = date.fromisoformat(line["due"])
        text = line["result"] or None
        occurrence = session.get(Occurrence, line["occurrence_id"])
        if occurrence is not None and occurrence.kind == OccurrenceKind.CHECKIN:
            # A duty without a deadline: its yearly report is made by reporting on it, whatever it says.
            mark_done(session, ref=line["ref"], on=day, note=text or why, at=now, actor=actor, due=due,
                      plan_code=plan.code)
        elif line["status"] == ReportedStatus.DONE:
            mark_done(session, ref=line["ref"], on=date.fromisoformat(line["completed_on"]), note=text or why,
                      at=now, actor=actor, due=due, plan_code=plan.code)
        elif line["status"] == ReportedStatus.IN_PROGRESS:
            record_progress(session, ref=line["ref"], percent=line["progress"], note=text or why, at=now, actor=actor,
                            due=due, plan_code=plan.code)
        else:
            mark_open(session, ref=line["ref"], note=text, at=now, actor=actor, due=due, plan_code=plan.code)
    complete_review_duty(session, plan, cycle, agency, now=now, actor=actor)
    session.flush()
    return submission


def complete_review_duty(session: Session, plan: Plan, cycle: ReviewCycle, agency: Agency, *, now: datetime,
                         actor: str) -> None:
    """A submitted review completes the agency's duty to send it (the plan's review_role "inputs" task,
    4.2-b), for the cycle's year, on the day of the submission. A resubmission leaves it as it was."""
    rows = session.exec(
        select(Occurrence, Task).join(Task, Occurrence.task_id == Task.id)
        .where(Task.plan_id == plan.id, Task.lead_agency_id == agency.id, Task.retired == False,  # noqa: E712
               Task.review_role == "inputs", Occurrence.kind == OccurrenceKind.DEADLINE,
               Occurrence.due_date >= date(cycle.year, 1, 1), Occurrence.due_date <= date(cycle.year, 12, 31))).all()
    for occ, task in rows:
        if occ.progress != Progress.DONE:
            mark_done(session, ref=task.ref, on=local_date(now), due=occ.due_date, plan_code=plan.code, at=now,
                      actor=actor, note=f"Đã nộp báo cáo sơ kết năm {cycle.year}")


# --- who has reported --------------------------------------------------------------------------

@dataclass
class StatusRow:
    code: str
    name: str
    kind: str
    state: str  # submitted, submitted_late, waiting, missing
    submitted_at: datetime | None
    channel: str | None
    submissions: int
    request_id: int

    @property
    def label_vi(self) -> str:
        return STATE_LABELS[self.state][0]

    def as_dict(self) -> dict:
        return dict(code=self.code, name=self.name, kind=self.kind, state=self.state, label=self.label_vi,
                    submitted_at=vn_time(self.submitted_at).isoformat() if self.submitted_at else None,
                    channel=self.channel, submissions=self.submissions)


STATE_LABELS = {
    "submitted": ("Đã nộp đúng hạn", "Submitted on time"),
    "submitted_late": ("Nộp muộn", "Submitted late"),
    "waiting": ("Chưa nộp (còn hạn)", "Not yet submitted (before the deadline)"),
    "missing": ("Quá hạn, chưa nộp", "Missing (past the deadline)"),
}


def status_rows(session: Session, cycle: ReviewCycle, now: datetime) -> list[StatusRow]:
    requests = session.exec(select(ReviewRequest, Agency).join(Agency, ReviewRequest.agency_id == Agency.id)
                            .where(ReviewRequest.cycle_id == cycle.id)).all()
    counts: dict[int, int] = {}
    channels: dict[int, str] = {}
    for sub in session.exec(select(ReviewSubmission).join(ReviewRequest)
                            .where(ReviewRequest.cycle_id == cycle.id).order_by(ReviewSubmission.id)):
        counts[sub.request_id] = counts.get(sub.request_id, 0) + 1
        channels[sub.request_id] = sub.channel
    past_due = local_date(now) > cycle.inputs_due
    rows = []
    for request, agency in requests:
        if request.submitted_at is not None:
            state = "submitted_late" if request.late else "submitted"
        else:
            state = "missing" if past_due else "waiting"
        rows.append(StatusRow(agency.code, agency.name_vi, agency.kind, state, request.submitted_at,
                              channels.get(request.id), counts.get(request.id, 0), request.id))
    return sorted(rows, key=lambda r: (_KIND_ORDER.get(r.kind, 1), r.code))


def cycle_phase(cycle: ReviewCycle, now: datetime) -> str:
    return phase(cycle.opens_on, cycle.inputs_due, cycle.closes_at, now)
