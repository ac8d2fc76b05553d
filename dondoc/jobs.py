"""The scheduled jobs as plain functions of (context, day): the Prefect flows and the scheduler
call these, tests call them directly. Each does its work in its own transactions."""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from config.policy import Policy, read_policy
from dondoc.context import AppContext
from models.clock import VN_TZ
from models.db import retry_locked, transaction
from models.outbox import Message
from models.workdays import WorkCalendar
from notifications.daily import Directory, SweepResult, plan_daily_digests, queue_daily_reminders
from notifications.dispatch import DispatchReport, dispatch
from notifications.reply_address import ReplyAddresses
from notifications.transports import transport_for

log = logging.getLogger("dondoc.jobs")


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


def scheduled_jobs(context: AppContext, policy: Policy) -> list:
    """The job table for this context: the inbox job only where a reply mailbox is configured."""
    from dondoc.scheduling import job_table

    settings = context.settings
    return job_table(policy, inbox_every_minutes=settings.inbox_every_minutes if settings.reads_inbox else None)


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
                replies=ReplyAddresses.from_settings(context.settings),
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


@dataclass
class InboxReport:
    read: int = 0
    replies: int = 0
    recorded: int = 0  # replies with at least one update recorded
    refused: int = 0
    bounces: int = 0
    ignored: int = 0  # auto-replies, our own messages, anything not ours
    already: int = 0  # processed before (a rerun, or a crash after the commit): only moved now
    sent: int = 0
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # one per message: what became of it
    configured: bool = True

    def as_dict(self) -> dict:
        return dict(read=self.read, replies=self.replies, recorded=self.recorded, refused=self.refused,
                    bounces=self.bounces, ignored=self.ignored, already=self.already, sent=self.sent,
                    errors=self.errors, lines=self.lines, configured=self.configured)


def process_inbound(context: AppContext, raw: bytes, now: datetime):
    """One message from the reply mailbox, in one transaction (tried again if SQLite is locked). A
    second reader that committed the same message first makes this one find it processed."""
    from sqlalchemy.exc import IntegrityError

    from notifications.inbox import process_message

    replies = ReplyAddresses.from_settings(context.settings)

    def process():
        with transaction(context.engine) as session:
            return process_message(session, raw, now=now, mail_from=context.settings.mail_from, replies=replies)

    try:
        return retry_locked(process)
    except IntegrityError:  # the same message committed by another reader meanwhile
        return retry_locked(process)


def read_inbox(context: AppContext, now: datetime, policy: Policy | None = None) -> InboxReport:
    """The inbox job: every message in the reply mailbox processed once (replies recorded, bounces
    marked, the rest ignored), each moved to the processed folder after its transaction committed;
    then the confirmations and notices it queued are sent at once (any day: they answer a person)."""
    from sqlmodel import Session, select

    from notifications.mailboxes import mailbox_for

    report = InboxReport()
    inbox = mailbox_for(context.settings)
    if inbox is None:
        report.configured = False
        return report
    policy = policy or load_policy(context)
    with inbox:
        for uid, raw in inbox.messages():
            report.read += 1
            try:
                done = process_inbound(context, raw, now)
            except Exception as error:  # left in the mailbox, tried again next time; the others go on
                log.exception("message %s of the reply mailbox could not be processed", uid)
                report.errors.append(f"message {uid}: {type(error).__name__}: {error}")
                continue
            if done.already:
                report.already += 1
            elif done.kind == "reply":
                report.replies += 1
                report.recorded += done.outcome in ("recorded", "partly")
                report.refused += done.outcome == "refused"
            elif done.kind == "bounce":
                report.bounces += 1
            else:
                report.ignored += 1
            report.lines.append(f"{done.sender or '?'} \"{done.subject}\": {done.kind}, {done.outcome}"
                                f"{' — ' + done.summary if done.summary else ''}")
            inbox.processed(uid)  # after the commit: a crash in between only means reading it again
    # What this run queued, and what a run that died before sending left queued.
    with Session(context.engine) as session:
        waiting = list(session.exec(select(Message.id).where(Message.kind.in_(INBOX_KINDS),
                                                             Message.status.in_(("queued", "sending")))))
    if waiting:
        delivered = dispatch(context.engine, transport_for(context.settings), now=now, policy=policy.reminders,
                             lease=timedelta(seconds=context.settings.dispatch_lease_seconds), only=waiting)
        report.sent, report.errors = delivered.sent, report.errors + delivered.errors
    return report


# The messages the inbox job queues, and sends at once.
INBOX_KINDS = ("reply_confirmation", "address_dead")
