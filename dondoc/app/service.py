"""The scheduler service behind `dondoc serve`: APScheduler in a background thread, its jobs stored in
the project's database, one scheduler per database (a lease), every missed run caught up once.

The testable core is `run_due(context, now)`: it runs each job of the job table (dondoc/app/scheduling.py)
that is due at `now`, for the latest fire time it missed, and records it in `scheduler_run`. The
APScheduler jobs only call it with the service clock's time, so tests drive it with a FixedClock.
"""
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from config.policy import Policy
from dondoc.app import jobs, review_jobs
from dondoc.app.context import AppContext
from dondoc.app.scheduling import JobSpec, due_fire, next_fire
from models.clock import Clock, SystemClock
from models.scheduler import LeaseLost, acquire_lease, last_fire, record_run, release_lease, renew_lease
from notifications.dispatch import DispatchReport

log = logging.getLogger("dondoc.serve")
JOB_FUNCTION = "dondoc.app.service:fire"  # what the stored APScheduler jobs call (a textual reference)
BASELINE = "not run yet: missed runs are counted from here"


@dataclass
class JobRun:
    job: str
    fire: datetime
    summary: str = ""
    error: str | None = None

    @property
    def day(self):
        return self.fire.date()


def run_job(context: AppContext, spec: JobSpec, day, policy: Policy, fire: datetime | None = None) -> str:
    """One job for one day. The review jobs run the review's day (it opens a cycle not yet open,
    chases on the rhythm, compiles from the report's due day), then deliver what it queued. The inbox
    job reads the reply mailbox as at `fire`."""
    if spec.id == "read-inbox":
        read = jobs.read_inbox(context, fire or jobs.sending_time(day, policy), policy)
        return (f"{read.read} read: {read.replies} replies ({read.recorded} recorded, {read.refused} refused), "
                f"{read.bounces} bounces, {read.ignored} ignored, {read.sent} sent"
                + (f", {len(read.errors)} errors" if read.errors else ""))
    if spec.review_step is not None:
        review = review_jobs.run_review_day(context, day, policy)
        sent = jobs.deliver(context, jobs.delivery_moment(day, context.clock().now(), policy), policy).sent
        parts = [f"opened ({review.requests} requests)" if review.opened else "",
                 f"{review.chasers} chasers" if review.chasers else "",
                 f"{review.missing_lists} missing lists" if review.missing_lists else "",
                 f"report {', '.join(review.reports)}" if review.reports else "", f"{sent} sent"]
        return ", ".join(p for p in parts if p)
    report = jobs.run_reminder_day(context, day, policy)
    if not report.working_day:
        return "not a working day"
    return f"{report.queued} digests queued, {report.sent} sent, {report.retrying} to retry, {report.failed} failed"


def run_due(context: AppContext, now: datetime, *, only: str | None = None,
            policy: Policy | None = None) -> list[JobRun]:
    """Run every job due at `now` (or only the job `only`), once each, in the table's order, each for
    the latest fire time it has not run for; record each run. A job that fails is logged and not
    recorded, so the next fire (or the next start) runs it again."""
    policy = policy or jobs.load_policy(context)
    catch_up = timedelta(days=context.settings.scheduler_catch_up_days)
    runs = []
    for spec in jobs.scheduled_jobs(context, policy):
        if only is not None and spec.id != only:
            continue
        previous = last_fire(context.engine, spec.id)
        fire = due_fire(spec, last_fire=previous, now=now, catch_up=catch_up)
        if previous is None and fire is None:
            # First start on this database, nothing due: from now on any gap is counted from here.
            since = now - catch_up
            record_run(context.engine, job=spec.id, fire=since, day=since.date(), finished_at=now, summary=BASELINE)
        if fire is None:
            continue
        run = JobRun(spec.id, fire)
        try:
            run.summary = run_job(context, spec, fire.date(), policy, fire)
        except Exception as exc:  # one job's failure must not stop the others or the service
            run.error = f"{type(exc).__name__}: {exc}"
            log.exception("%s for %s failed; it runs again at its next time", spec.id, f"{fire:%d/%m/%Y}")
        else:
            record_run(context.engine, job=spec.id, fire=fire, day=fire.date(), finished_at=now, summary=run.summary)
            late = " (caught up)" if now - fire > timedelta(hours=1) else ""
            log.info("%s for %s%s: %s", spec.id, f"{fire:%d/%m/%Y %H:%M}", late, run.summary)
        runs.append(run)
    return runs


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- the running service ---------------------------------------------------------------------------

_running: "SchedulerService | None" = None


def fire(job_id: str) -> None:
    """What the stored APScheduler jobs call: run `job_id` in the running service, if it is due."""
    if _running is None:
        log.warning("%s fired with no service running: ignored", job_id)
        return
    _running.tick(job_id)


@dataclass
class SchedulerService:
    """APScheduler (BackgroundScheduler, SQLAlchemyJobStore in the project database) plus the lease.

    `clock` is the application's clock (what day it is for the jobs; DONDOC_TODAY fixes it);
    `wall_clock` times the lease, which is about processes, not the plan's calendar."""

    context: AppContext
    clock: Clock | None = None
    wall_clock: Clock = field(default_factory=SystemClock)
    holder: str = field(default_factory=holder_name)
    on_lost: Callable[[], None] | None = None
    lost: bool = False
    scheduler: object = None

    def __post_init__(self):
        self.clock = self.clock or self.context.clock()
        self.lease_every = self.context.settings.scheduler_lease_seconds
        self.lease_ttl = timedelta(seconds=3 * self.lease_every)
        self._lock = threading.Lock()
        self._policy_seen: tuple | None = None  # (the policy file's mtime, the schedules it gave) at start

    def _schedules(self, policy) -> list:
        return sorted((spec.id, tuple(spec.crons)) for spec in jobs.scheduled_jobs(self.context, policy))

    def check_policy(self) -> str | None:
        """Called with each lease renewal. Each job reads the policy file afresh when it runs, so an edit
        of the reminder rules applies from the next run; the jobs' times are set at start, so an edit of
        a time says, in the log, that `dondoc serve` must be restarted. Returns what was logged."""
        path = self.context.settings.policy_file
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        if self._policy_seen is None or mtime == self._policy_seen[0]:
            return None
        try:
            schedules = self._schedules(jobs.load_policy(self.context))
        except Exception as exc:  # noqa: BLE001 - a file being edited, or with a mistake: say so, keep running
            message = f"policy file {path} changed but cannot be read ({exc}): the running jobs keep the last good one"
            log.warning(message)
            self._policy_seen = (mtime, self._policy_seen[1])
            return message
        if schedules != self._policy_seen[1]:
            message = (f"policy file {path} changed the jobs' times: restart dondoc serve to apply them "
                       "(the other rules apply from the next run)")
            log.warning(message)
        else:
            message = f"policy file {path} changed: the next runs use it"
            log.info(message)
        self._policy_seen = (mtime, self._policy_seen[1])
        return message

    def tick(self, only: str | None = None) -> list[JobRun]:
        """Run what is due now (one job, or all: the catch-up at start)."""
        with self._lock:
            return run_due(self.context, self.clock.now(), only=only)

    def start(self) -> None:
        """Take the lease (LeaseHeld if another live scheduler has it), then start APScheduler with
        the job table, and a catch-up of everything missed run at once."""
        lease = acquire_lease(self.context.engine, holder=self.holder, now=self.wall_clock.now(), ttl=self.lease_ttl)
        log.info("scheduler lease taken by %s until %s UTC", self.holder, f"{lease.expires_at:%H:%M:%S}")
        try:
            self._start_scheduler()
        except BaseException:
            self.stop()  # gives the lease back at once rather than leaving it to expire
            raise

    def _start_scheduler(self) -> None:
        global _running
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        from dondoc.app.scheduling import ZONE

        policy = jobs.load_policy(self.context)
        try:
            self._policy_seen = (os.stat(self.context.settings.policy_file).st_mtime, self._schedules(policy))
        except OSError:
            self._policy_seen = None
        scheduler = BackgroundScheduler(
            timezone=ZONE,
            jobstores={"default": SQLAlchemyJobStore(engine=self.context.engine, tablename="apscheduler_jobs"),
                       "process": MemoryJobStore()},
            # The jobs run one at a time, in order; the lease is renewed on its own thread.
            executors={"default": ThreadPoolExecutor(1), "lease": ThreadPoolExecutor(1)},
            # Missed runs: coalesced into one, with no grace limit (run_due decides what is due).
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        _running = self
        self.scheduler = scheduler
        scheduler.start(paused=True)
        specs = jobs.scheduled_jobs(self.context, policy)
        # The stored jobs are written afresh from the job table each start (a job the table no longer has
        # goes), without reading the old rows back: one stored before dondoc/app/service.py moved into
        # dondoc/app/ names a function that is no longer there and could not be read.
        scheduler.remove_all_jobs(jobstore="default")
        for spec in specs:
            scheduler.add_job(JOB_FUNCTION, trigger=spec.trigger(), args=[spec.id], id=spec.id, name=spec.title,
                              jobstore="default", replace_existing=True)
        scheduler.add_job(self.tick, id="catch-up", name="catch up what was missed", jobstore="process",
                          next_run_time=self.wall_clock.now())
        scheduler.add_job(self.deliver, IntervalTrigger(minutes=self.context.settings.delivery_every_minutes,
                                                        timezone=ZONE),
                          id="deliver", name="deliver the outbox (retries within the day)", jobstore="process")
        scheduler.add_job(self.renew, IntervalTrigger(seconds=self.lease_every, timezone=ZONE), id="lease",
                          name="renew the scheduler lease", jobstore="process", executor="lease")
        scheduler.resume()
        now = self.clock.now()
        upcoming = sorted((f, s.id) for s in specs if (f := next_fire(s, now)) is not None)
        log.info("dondoc scheduler started: %d jobs, next %s at %s (Asia/Ho_Chi_Minh)", len(specs),
                 upcoming[0][1] if upcoming else "-", f"{upcoming[0][0]:%d/%m/%Y %H:%M}" if upcoming else "-")

    def deliver(self) -> DispatchReport | None:
        """Send what has come due in the outbox since the morning's run (temporary failures retried
        on their 15 min, 30 min, 1 h, ... rhythm; a sign-in link that failed, as soon as the mail
        server is back), as of the service's clock. A failure is logged; the next run tries again."""
        with self._lock:
            try:
                report = jobs.deliver(self.context, self.clock.now())
            except Exception:
                log.exception("delivering the outbox failed; trying again in %s minutes",
                              self.context.settings.delivery_every_minutes)
                return None
        if report.sent or report.retrying or report.failed:
            log.info("outbox: %d sent, %d to retry, %d failed", report.sent, report.retrying, report.failed)
        for error in report.errors:
            log.warning("outbox: %s", error)
        return report

    def renew(self) -> None:
        self.check_policy()
        try:
            renew_lease(self.context.engine, holder=self.holder, now=self.wall_clock.now(), ttl=self.lease_ttl)
        except LeaseLost as exc:
            log.error("%s: stopping, another scheduler may be running", exc)
            self.lost = True
            if self.on_lost:
                self.on_lost()
        except Exception:  # a database that did not answer: try again at the next renewal
            log.exception("could not renew the scheduler lease")

    def stop(self) -> None:
        """Stop the scheduler (waiting for a running job to finish) and give the lease back."""
        global _running
        if self.scheduler is not None:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if _running is self:
            _running = None
        if not self.lost and release_lease(self.context.engine, holder=self.holder):
            log.info("scheduler lease released by %s", self.holder)
