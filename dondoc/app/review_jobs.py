"""The annual review's jobs as plain functions of (context, day): open, chase, compile, and the day
of a simulation. The flows (flows/annual_review.py), the CLI and tests call these."""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from config.policy import Policy
from config.targets import load_targets
from dondoc.app.context import AppContext
from dondoc.app.jobs import deliver, delivery_moment, load_policy, sending_time
from models.audit import record
from models.db import transaction
from models.plan import Plan
from models.review.rules import ReportedStatus
from models.review.tables import Channel, CycleStatus, ReviewRequest
from models.review.operations import (
    SubmissionRefused, accept_submission, dates_for, find_plan, form_for, get_cycle, open_cycle, require_cycle,
)
from dondoc.documents.report_content import build_report
from models.workdays import WorkCalendar
from notifications.reply_address import ReplyAddresses
from notifications.letter import Sender
from notifications.review import queue_review_chasers, queue_review_requests


@dataclass
class ReviewDay:
    day: date
    opened: bool = False
    requests: int = 0
    chasers: int = 0
    missing_lists: int = 0
    simulated_submissions: int = 0
    reports: list[str] = field(default_factory=list)
    sent: int = 0
    without_focal_point: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(day=self.day.isoformat(), opened=self.opened, requests=self.requests, chasers=self.chasers,
                    missing_lists=self.missing_lists, simulated_submissions=self.simulated_submissions,
                    reports=self.reports, sent=self.sent, without_focal_point=self.without_focal_point)


def _calendar(policy: Policy) -> WorkCalendar:
    return WorkCalendar.from_policy(policy.working_days)


def _open(session, context: AppContext, plan: Plan, year: int, day: date, policy: Policy, report: ReviewDay):
    now = sending_time(day, policy)
    opened = open_cycle(session, plan, year, now=now, review_policy=policy.review, actor=context.actor)
    report.opened = report.opened or opened.created
    mail = queue_review_requests(session, opened.cycle, now=now, today=day,
                                 base_url=context.settings.public_base_url, mail_from=context.settings.resolved_mail_from,
                                 replies=ReplyAddresses.from_settings(context.settings),
                                 sender=Sender.of(context.settings.organization_file))
    report.requests += mail.requests
    report.without_focal_point += mail.without_focal_point or []
    return opened.cycle


def open_review(context: AppContext, day: date, year: int | None = None, plan_code: str | None = None,
                policy: Policy | None = None, send: bool = True) -> ReviewDay:
    """Open the year's cycle (idempotent) and email every reporting agency its link."""
    policy = policy or load_policy(context)
    report = ReviewDay(day)
    with transaction(context.engine) as session:
        plan = find_plan(session, plan_code)
        _open(session, context, plan, year or day.year, day, policy, report)
    if send:
        report.sent = deliver(context, delivery_moment(day, context.clock().now(), policy), policy).sent
    return report


def chase_review(context: AppContext, day: date, year: int | None = None, plan_code: str | None = None,
                 policy: Policy | None = None, send: bool = True) -> ReviewDay:
    """The day's chasers to agencies that have not reported, and the missing list after the deadline."""
    policy = policy or load_policy(context)
    report = ReviewDay(day)
    with transaction(context.engine) as session:
        plan = find_plan(session, plan_code)
        cycle = require_cycle(session, plan, year or day.year)
        mail = queue_review_chasers(session, cycle, now=sending_time(day, policy), today=day,
                                    reminder_policy=policy.reminders, calendar=_calendar(policy),
                                    base_url=context.settings.public_base_url, mail_from=context.settings.resolved_mail_from,
                                 replies=ReplyAddresses.from_settings(context.settings),
                                 sender=Sender.of(context.settings.organization_file))
        report.chasers, report.missing_lists = mail.chasers, mail.missing_lists
    if send:
        report.sent = deliver(context, delivery_moment(day, context.clock().now(), policy), policy).sent
    return report


def default_report_paths(context: AppContext, plan_code: str, year: int, policy: Policy) -> list[Path]:
    folder = context.settings.data_dir / "reviews"
    return [folder / f"bao-cao-so-ket-{plan_code}-{year}.{fmt}" for fmt in policy.review.report_formats]


def compile_review(context: AppContext, day: date, year: int, outs: list[Path] | None = None,
                   plan_code: str | None = None, targets_file: Path | None = None,
                   policy: Policy | None = None) -> list[Path]:
    """Write the compiled report (by each file's extension) and mark the cycle reported."""
    from config.organization import read_organization
    from dondoc.documents.bao_cao import write_report

    policy = policy or load_policy(context)
    now = sending_time(day, policy)
    with transaction(context.engine) as session:
        plan = find_plan(session, plan_code)
        cycle = require_cycle(session, plan, year)
        targets = load_targets(plan.code, targets_file)
        report = build_report(session, cycle, now=now, targets=targets)
        outs = outs or default_report_paths(context, plan.code, year, policy)
        organization = read_organization(context.settings.organization_file)
        for out in outs:
            write_report(report, out, organization)
        if cycle.status != CycleStatus.REPORTED:
            record(session, at=now, actor=context.actor, entity="review_cycle", entity_id=cycle.id,
                   ref=f"{plan.code}/{year}", field="status", old=cycle.status, new=CycleStatus.REPORTED,
                   note=", ".join(str(o) for o in outs))
            cycle.status, cycle.reported_at = CycleStatus.REPORTED, now
    return outs


# --- a simulated day -----------------------------------------------------------------------

DEMO_SEED = 2015
_RESULTS = ["Đã ban hành văn bản hướng dẫn và tổ chức triển khai đến cơ sở.",
            "Đã tổ chức hội nghị quán triệt, tuyên truyền cho cán bộ, hội viên.",
            "Đã phối hợp khảo sát, đánh giá thực trạng các hợp tác xã trên địa bàn.",
            "Đang xây dựng dự thảo, lấy ý kiến các đơn vị liên quan."]
_DIFFICULTIES = ["Kinh phí bố trí cho nhiệm vụ còn hạn chế.", "Cán bộ theo dõi lĩnh vực hợp tác xã còn kiêm nhiệm.",
                 "Một số hợp tác xã chưa chủ động chuyển đổi theo Luật Hợp tác xã 2012.", ""]
_PROPOSALS = ["Đề nghị UBND tỉnh bố trí kinh phí hỗ trợ thành lập mới hợp tác xã.",
              "Đề nghị Liên minh Hợp tác xã tỉnh mở thêm lớp bồi dưỡng cán bộ quản lý hợp tác xã.",
              "Đề nghị hướng dẫn thủ tục giải thể hợp tác xã không còn hoạt động.", ""]


def _demo_plan(rng: random.Random, cycle) -> date | None:
    """When a simulated agency submits: on time (about half), late (a quarter) or never."""
    draw = rng.random()
    if draw < 0.5:
        return cycle.opens_on + timedelta(days=rng.randint(3, (cycle.inputs_due - cycle.opens_on).days))
    if draw < 0.75:
        return cycle.inputs_due + timedelta(days=rng.randint(1, max(1, (cycle.report_due - cycle.inputs_due).days - 1)))
    return None


def _demo_inputs(rng: random.Random, form, day: date) -> dict:
    tasks = []
    for line in form.lines:
        draw = rng.random()
        if draw < 0.6:
            done_on = max(date(form.cycle.year, 1, 1), min(line.due, day) - timedelta(days=rng.randint(0, 30)))
            tasks.append(dict(ref=line.ref, due=line.due.isoformat(), status=ReportedStatus.DONE,
                              completed_on=done_on.isoformat(), result=rng.choice(_RESULTS[:3])))
        elif draw < 0.9:
            tasks.append(dict(ref=line.ref, due=line.due.isoformat(), status=ReportedStatus.IN_PROGRESS,
                              progress=rng.choice([30, 50, 70, 80]), result=_RESULTS[3],
                              difficulties=rng.choice(_DIFFICULTIES), proposals=rng.choice(_PROPOSALS)))
        else:
            tasks.append(dict(ref=line.ref, due=line.due.isoformat(), status=ReportedStatus.NOT_STARTED,
                              difficulties=rng.choice(_DIFFICULTIES[:3])))
    raw = dict(tasks=tasks, notes=f"[Mô phỏng] Báo cáo sơ kết năm {form.cycle.year} của {form.agency.name_vi}.")
    if form.request.asks_indicators:
        total = rng.randint(15, 40)
        officers = rng.randint(8, 20)
        raw["indicators"] = dict(
            cooperatives_total=total, new_established=rng.randint(1, 4), operating_effectively=int(total * rng.uniform(.4, .65)),
            weak=int(total * rng.uniform(.04, .15)), converted_2012_law=int(total * rng.uniform(.8, 1)),
            dissolved=rng.randint(0, 2), model_cooperatives=rng.randint(0, 2), officers_total=officers,
            officers_trained=int(officers * rng.uniform(.7, 1)))
    return raw


def simulate_agencies(session: Session, cycle, day: date, now: datetime, seed: int = DEMO_SEED) -> int:
    """Simulated agencies submit on the day their seeded draw says (labelled simulated everywhere)."""
    count = 0
    for request in session.exec(select(ReviewRequest).where(ReviewRequest.cycle_id == cycle.id,
                                                            ReviewRequest.submitted_at == None)  # noqa: E711
                                .order_by(ReviewRequest.id)):
        form = form_for(session, request, now)
        rng = random.Random(f"{seed}:{cycle.year}:{form.agency.code}")
        planned = _demo_plan(rng, cycle)
        if planned is None or day < planned:
            continue
        try:
            accept_submission(session, form, _demo_inputs(rng, form, day), now=now,
                              actor=f"simulated:{form.agency.code}", channel=Channel.SIMULATED,
                              note="dữ liệu mô phỏng (dondoc simulate --demo-agencies)")
        except SubmissionRefused:
            continue
        count += 1
    return count


def read_plans(context: AppContext) -> list[Plan]:
    with Session(context.engine) as session:
        return session.exec(select(Plan).order_by(Plan.id)).all()


def run_review_day(context: AppContext, day: date, policy: Policy | None = None,
                   demo_agencies: bool = False, plans: list[Plan] | None = None) -> ReviewDay:
    """What the annual review does on `day`, for every plan: open on the opening date (or the first
    run after it), chase on the reminder rhythm, compile on the report's due date. Delivery is left
    to the day's reminder job (run after this one). `plans`: read once for many days (a simulation)."""
    policy = policy or load_policy(context)
    report = ReviewDay(day)
    for plan in plans if plans is not None else read_plans(context):
        year = day.year
        if not plan.horizon_start.year <= year <= plan.horizon_end.year:
            continue
        dates = dates_for(plan, year, policy.review)
        now = sending_time(day, policy)
        if not dates.opens_on <= day or now >= dates.closes_at:
            continue
        with transaction(context.engine) as session:
            cycle = get_cycle(session, plan, year) or _open(session, context, plan, year, day, policy, report)
            if demo_agencies:
                report.simulated_submissions += simulate_agencies(session, cycle, day, now)
            mail = queue_review_chasers(session, cycle, now=now, today=day, reminder_policy=policy.reminders,
                                        calendar=_calendar(policy), base_url=context.settings.public_base_url,
                                        mail_from=context.settings.resolved_mail_from,
                                 replies=ReplyAddresses.from_settings(context.settings),
                                 sender=Sender.of(context.settings.organization_file))
            report.chasers += mail.chasers
            report.missing_lists += mail.missing_lists
            due_to_compile = day >= dates.report_due and cycle.status != CycleStatus.REPORTED
        if due_to_compile:
            report.reports += [str(p) for p in compile_review(context, day, year, plan_code=plan.code, policy=policy)]
    return report

