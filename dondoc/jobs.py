"""The scheduled jobs as plain functions of (context, day): the Prefect flows and the scheduler
call these, tests call them directly. Each does its work in its own transactions."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from config.policy import Policy, read_policy
from dondoc.context import AppContext
from models.clock import VN_TZ
from models.db import retry_locked, transaction
from models.workdays import WorkCalendar
from notifications.daily import Directory, SweepResult, plan_daily_digests, queue_daily_reminders
from notifications.dispatch import DispatchReport, dispatch
from notifications.transports import transport_for


@dataclass
class DayReport:
    day: date
    working_day: bool
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(day=self.day.isoformat(), working_day=self.working_day, queued=self.queued, sent=self.sent,
                    retrying=self.retrying, failed=self.failed, errors=self.errors)


def load_policy(context: AppContext) -> Policy:
    return read_policy(context.settings.policy_file)


def sending_time(day: date, policy: Policy) -> datetime:
    """The moment the daily job runs on `day` (the policy's sending hour, Vietnam time)."""
    return datetime.combine(day, policy.reminders.sending_hour, VN_TZ)


def plan_reminders(context: AppContext, day: date, policy: Policy | None = None) -> SweepResult:
    """What today's run would queue, writing nothing (for --dry-run)."""
    from sqlmodel import Session

    policy = policy or load_policy(context)
    with Session(context.engine) as session:
        return plan_daily_digests(session, today=day, policy=policy.reminders,
                                  calendar=WorkCalendar.from_policy(policy.working_days),
                                  base_url=context.settings.public_base_url)


def read_directory(context: AppContext) -> Directory:
    """The directory as the sweep reads it, for every task: for a run of many days (a simulation)."""
    from sqlmodel import Session

    with Session(context.engine) as session:
        return Directory.read(session, every_task=True)


def queue_reminders(context: AppContext, day: date, policy: Policy | None = None,
                    directory: Directory | None = None) -> SweepResult:
    policy = policy or load_policy(context)
    calendar = WorkCalendar.from_policy(policy.working_days)
    if not calendar.is_working_day(day):
        return SweepResult(day=day, working_day=False)  # nothing goes out on a day off

    def queue() -> SweepResult:  # one transaction, tried again if SQLite is locked
        with transaction(context.engine) as session:
            return queue_daily_reminders(
                session, today=day, now=sending_time(day, policy), policy=policy.reminders,
                calendar=calendar, base_url=context.settings.public_base_url,
                mail_from=context.settings.mail_from, directory=directory,
            )

    return retry_locked(queue)


def deliver(context: AppContext, now: datetime, policy: Policy | None = None) -> DispatchReport:
    """Send what is due in the outbox. Nothing goes out on a day off."""
    policy = policy or load_policy(context)
    if not WorkCalendar.from_policy(policy.working_days).is_working_day(now.astimezone(VN_TZ).date()):
        return DispatchReport()
    return dispatch(context.engine, transport_for(context.settings), now=now, policy=policy.reminders,
                    lease=timedelta(seconds=context.settings.dispatch_lease_seconds))


def run_reminder_day(context: AppContext, day: date, policy: Policy | None = None,
                     directory: Directory | None = None) -> DayReport:
    """The daily reminder job: queue the day's digests, then deliver the outbox. `directory`: one read
    for many days (a simulation); by default it is read afresh."""
    policy = policy or load_policy(context)
    swept = queue_reminders(context, day, policy, directory)
    report = DayReport(day=day, working_day=swept.working_day, queued=swept.queued)
    delivered = deliver(context, sending_time(day, policy), policy)
    report.sent, report.retrying, report.failed, report.errors = (
        delivered.sent, delivered.retrying, delivered.failed, delivered.errors)
    return report
