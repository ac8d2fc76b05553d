"""The scheduled jobs as plain functions of (context, day): the Prefect flows and the scheduler
call these, tests call them directly. Each does its work in its own transactions."""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from typing import TYPE_CHECKING

from config.policy import Policy, read_policy
from dondoc.app import interrupt
from dondoc.app.context import AppContext
from dondoc.app.outbox_state import Undelivered, undelivered  # noqa: F401  (their home before)
from models.clock import VN_TZ
from models.db import retry_locked, transaction
from models.workdays import WorkCalendar
from notifications.daily import Directory, SweepResult, plan_daily_digests, queue_daily_reminders
from notifications.reply_address import ReplyAddresses

if TYPE_CHECKING:
    from notifications.dispatch import DispatchReport

# What only sending needs (the dispatcher, the transports, the letters and the table classes) is
# imported where it is used: `dondoc remind` with nothing to send finds that out without them.

log = logging.getLogger("dondoc.jobs")


# Messages whose worth runs out within the hour (a sign-in link), that open the year's work for an
# agency (the review link) or answer a person (INBOX_KINDS): delivered whenever due, on days off too.
IMMEDIATE_KINDS = ("signin", "review_request", "reply_confirmation", "address_dead")


@dataclass
class DayReport:
    day: date
    working_day: bool
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    waiting: str = ""  # what the outbox still holds (Undelivered.describe), "" when all went out
    interrupted: bool = False  # Ctrl-C stopped the delivery (the rest went back to the queue)

    def as_dict(self) -> dict:
        return dict(day=self.day.isoformat(), working_day=self.working_day, queued=self.queued, sent=self.sent,
                    retrying=self.retrying, failed=self.failed, errors=self.errors, waiting=self.waiting,
                    interrupted=self.interrupted)


def load_policy(context: AppContext) -> Policy:
    return read_policy(context.settings.policy_file)


def sending_time(day: date, policy: Policy) -> datetime:
    """The moment the daily job runs on `day` (the policy's sending hour, Vietnam time)."""
    return datetime.combine(day, policy.reminders.sending_hour, VN_TZ)


def scheduled_jobs(context: AppContext, policy: Policy) -> list:
    """The job table for this context: the inbox job only where a reply mailbox is configured."""
    from dondoc.app.scheduling import job_table

    settings = context.settings
    return job_table(policy, inbox_every_minutes=settings.inbox_every_minutes if settings.reads_inbox else None)


def delivery_moment(day: date, now: datetime, policy: Policy) -> datetime:
    """As of when `day`'s delivery runs: `now` when the clock is on that day past the sending hour
    (a rerun later in the day, the service's own deliveries), so the retries due by then go out;
    else the day's sending time (a day run from the past, or by --today)."""
    start = sending_time(day, policy)
    return now if now.astimezone(VN_TZ).date() == day and now > start else start


def plan_reminders(context: AppContext, day: date, policy: Policy | None = None) -> SweepResult:
    """What today's run would queue, writing nothing (for --dry-run)."""
    from sqlmodel import Session

    policy = policy or load_policy(context)
    with Session(context.engine) as session:
        return plan_daily_digests(session, today=day, policy=policy.reminders,
                                  calendar=WorkCalendar.from_policy(policy.working_days),
                                  base_url=context.settings.public_base_url)


@dataclass
class ReminderWork:
    """What a reminder run on `day` would do: digests not queued yet, messages whose time has come."""
    new_digests: int = 0
    due_messages: int = 0

    def __bool__(self) -> bool:
        return bool(self.new_digests or self.due_messages)


def reminder_work(context: AppContext, day: date, policy: Policy | None = None) -> ReminderWork:
    """Whether the daily reminder job has anything to do on `day` (read only): the digests the sweep
    would queue that are not in the outbox yet, and the messages due for a (re)try by the day's
    delivery moment, or claimed (a dispatcher's claim: the flow's dispatcher decides whether it expired).
    Nothing: no flow needs to run (and Prefect is not even imported).

    The same sweep as the run's own (plan_daily_digests, queued_keys), read through the plain tables
    on a plain connection: finding that nothing is to do loads neither SQLModel nor the table classes."""
    from sqlalchemy import func, or_, select

    from models.core import message as Message
    from models.outbox_values import MessageStatus
    from models.queries import queued_keys

    policy = policy or load_policy(context)
    work = ReminderWork()
    calendar = WorkCalendar.from_policy(policy.working_days)
    moment = delivery_moment(day, context.clock().now(), policy)
    with context.engine.connect() as connection:
        if calendar.is_working_day(day):
            planned = plan_daily_digests(connection, today=day, policy=policy.reminders, calendar=calendar,
                                         base_url=context.settings.public_base_url)
            keys = [f"daily|{d.email.lower()}|{day.isoformat()}" for d in planned.digests]
            work.new_digests = len(set(keys) - set(queued_keys(connection, keys)))
        due = or_(Message.c.status == MessageStatus.SENDING, Message.c.next_attempt_at.is_(None),
                  Message.c.next_attempt_at <= moment)
        statement = select(func.count()).select_from(Message).where(
            Message.c.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]), due)
        if not calendar.is_working_day(moment.astimezone(VN_TZ).date()):
            statement = statement.where(Message.c.kind.in_(IMMEDIATE_KINDS))
        work.due_messages = connection.execute(statement).scalar_one()
    return work


def read_directory(context: AppContext) -> Directory:
    """The directory as the sweep reads it, for every task: for a run of many days (a simulation)."""
    from sqlmodel import Session

    with Session(context.engine) as session:
        return Directory.read(session, every_task=True)


def queue_reminders(context: AppContext, day: date, policy: Policy | None = None,
                    directory: Directory | None = None) -> SweepResult:
    policy = policy or load_policy(context)
    apply_reassignments(context, day)
    calendar = WorkCalendar.from_policy(policy.working_days)
    if not calendar.is_working_day(day):
        return SweepResult(day=day, working_day=False)  # nothing goes out on a day off

    def queue() -> SweepResult:  # one transaction, tried again if SQLite is locked
        from notifications.letter import Sender

        with transaction(context.engine) as session:
            refuse_an_earlier_day(session, day)
            return queue_daily_reminders(
                session, today=day, now=sending_time(day, policy), policy=policy.reminders,
                calendar=calendar, base_url=context.settings.public_base_url,
                mail_from=context.settings.resolved_mail_from, directory=directory,
                replies=ReplyAddresses.from_settings(context.settings),
                sender=Sender.of(context.settings.organization_file), secret_key=context.settings.secret_key,
                action_link_days=context.settings.action_link_days,
            )

    return retry_locked(queue)


def apply_reassignments(context: AppContext, day: date) -> int:
    """The reassignments whose day has come take effect before the day's reminders (models/reassignment.py)."""
    from models.reassignment import apply_due

    def apply() -> int:
        with transaction(context.engine) as session:
            return len(apply_due(session, today=day, at=context.clock().now()))

    return retry_locked(apply)


def refuse_an_earlier_day(session, day: date) -> None:
    """The reminders of a day before one already run are not queued: that later run folded them in
    (each missed reminder once), and their rows would collide with its own. `session`: a Session or
    a Connection."""
    from sqlalchemy import func, select

    from config.errors import InputError
    from models.core import message as Message

    latest = session.execute(select(func.max(Message.c.send_date)).where(Message.c.kind == "daily")).scalar_one()
    if latest is not None and latest > day:
        raise InputError(f"the reminders of {latest:%d/%m/%Y} have run already; an earlier day ({day:%d/%m/%Y}) "
                         "cannot run after a later one (what it would have sent went out in the later digests)",
                         field="--today",
                         vi=f"thư nhắc ngày {latest:%d/%m/%Y} đã chạy; không thể chạy một ngày sớm hơn "
                            f"({day:%d/%m/%Y}) sau một ngày muộn hơn (những gì ngày đó lẽ ra gửi đã nằm trong các thư "
                            "nhắc sau)")


def deliver(context: AppContext, now: datetime, policy: Policy | None = None) -> "DispatchReport":
    """Send what is due in the outbox at `now`. On a day off only sign-in and review links go out."""
    from notifications.dispatch import DispatchReport, dispatch
    from notifications.transports import transport_for

    policy = policy or load_policy(context)
    only = None
    if not WorkCalendar.from_policy(policy.working_days).is_working_day(now.astimezone(VN_TZ).date()):
        from sqlmodel import Session, select

        from models.outbox import Message, MessageStatus
        with Session(context.engine) as session:
            only = list(session.exec(select(Message.id).where(
                Message.kind.in_(IMMEDIATE_KINDS), Message.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]))))
        if not only:
            return DispatchReport()
    return dispatch(context.engine, transport_for(context.settings), now=now, policy=policy.reminders,
                    lease=timedelta(seconds=context.settings.dispatch_lease_seconds), only=only,
                    stop=interrupt.requested)


def run_reminder_day(context: AppContext, day: date, policy: Policy | None = None,
                     directory: Directory | None = None) -> DayReport:
    """The daily reminder job: queue the day's digests, then deliver the outbox. `directory`: one read
    for many days (a simulation); by default it is read afresh."""
    policy = policy or load_policy(context)
    swept = queue_reminders(context, day, policy, directory)
    report = DayReport(day=day, working_day=swept.working_day, queued=swept.queued)
    delivered = deliver(context, delivery_moment(day, context.clock().now(), policy), policy)
    report.sent, report.retrying, report.failed, report.errors, report.interrupted = (
        delivered.sent, delivered.retrying, delivered.failed, delivered.errors, delivered.interrupted)
    report.waiting = undelivered(context).describe()
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
    lines_vi: list[str] = field(default_factory=list)  # the same in Vietnamese
    configured: bool = True

    def as_dict(self) -> dict:
        return dict(read=self.read, replies=self.replies, recorded=self.recorded, refused=self.refused,
                    bounces=self.bounces, ignored=self.ignored, already=self.already, sent=self.sent,
                    errors=self.errors, lines=self.lines, lines_vi=self.lines_vi, configured=self.configured)


def process_inbound(context: AppContext, raw: bytes, now: datetime):
    """One message from the reply mailbox, in one transaction (tried again if SQLite is locked). A
    second reader that committed the same message first makes this one find it processed."""
    from sqlalchemy.exc import IntegrityError

    from notifications.inbox import process_message
    from notifications.letter import Sender

    replies = ReplyAddresses.from_settings(context.settings)

    def process():
        with transaction(context.engine) as session:
            return process_message(session, raw, now=now, mail_from=context.settings.resolved_mail_from, replies=replies,
                                   sender=Sender.of(context.settings.organization_file))

    try:
        return retry_locked(process)
    except IntegrityError:  # the same message committed by another reader meanwhile
        return retry_locked(process)


def read_inbox(context: AppContext, now: datetime, policy: Policy | None = None) -> InboxReport:
    """The inbox job: every message in the reply mailbox processed once (replies recorded, bounces
    marked, the rest ignored), each moved to the processed folder after its transaction committed;
    then the confirmations and notices it queued are sent at once (any day: they answer a person)."""
    from sqlmodel import Session, select

    from models.outbox import Message
    from notifications.dispatch import dispatch
    from notifications.inbox import KIND_VI, outcome_vi
    from notifications.mailboxes import mailbox_for
    from notifications.transports import transport_for

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
            report.lines_vi.append(f"{done.sender or '?'} \"{done.subject}\": {KIND_VI.get(done.kind, done.kind)}, "
                                   f"{outcome_vi(done.outcome)}{' — ' + done.summary_vi if done.summary_vi else ''}")
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
