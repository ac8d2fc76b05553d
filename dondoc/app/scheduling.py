"""Which jobs run when: the one job table that both the embedded scheduler (`dondoc serve`) and the
Prefect deployments (`dondoc deploy`) are built from, so they cannot drift apart.

Pure rules, no clock: every function is handed `now`. All times are Asia/Ho_Chi_Minh; every trigger is
built with that zone explicitly (an APScheduler trigger without one would use the host's zone).

The jobs, at the policy's sending hour (08:00):
- `review-open`   on the review's opening day (01/11): open the year's cycle, email the links;
- `review-chase`  every day from the day after the opening to the day before the report is due:
                  chasers on the reminder rhythm, the missing list after the input deadline;
- `review-compile` on the report's due day (15/12): compile the báo cáo sơ kết;
- `send-reminders` every day: the daily reminder job (days off are decided inside: nothing goes out);
- `read-inbox`    every DONDOC_INBOX_EVERY_MINUTES (15), only when a reply mailbox is configured: replies
                  recorded and confirmed, bounces marked (dondoc/app/jobs.py read_inbox).
Each id is also the name of its Prefect flow (flows/).

Catch-up: a job's runs missed while nothing ran (service down, machine off) are coalesced into ONE run,
for the latest missed fire time (`due_fire`). Because every job folds what it missed into that run (the
reminder and chaser rhythms send the latest firing once; the review day opens a cycle not yet open and
compiles a report not yet compiled), one run is enough, and none is dropped.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from config.policy import Policy
from models.clock import VN_TZ
from models.review.rules import chase_sends_on
from models.workdays import WorkCalendar

ZONE = "Asia/Ho_Chi_Minh"
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class JobSpec:
    id: str                 # the job's id in the scheduler and its Prefect flow's name
    title: str              # what it does, for `dondoc schedule list`
    crons: tuple[str, ...]  # standard 5-field cron expressions, Vietnam time; the job fires on any of them
    schedule: str           # the crons in words
    review_step: str | None = None  # open | chase | compile

    def trigger(self):
        """The APScheduler trigger: CronTrigger(s) in Asia/Ho_Chi_Minh."""
        triggers = [CronTrigger.from_crontab(expr, timezone=ZONE) for expr in self.crons]
        return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)

    def prefect_schedules(self) -> list:
        """The same times as Prefect schedule objects (timezone on the object: `to_deployment`
        refuses a timezone argument)."""
        from prefect.schedules import Cron
        return [Cron(expr, timezone=ZONE) for expr in self.crons]


def _at(hour: time) -> str:
    return f"{hour.minute} {hour.hour}"


def _day_ranges(first: date, last: date) -> list[tuple[int, str]]:
    """(month, cron day field) covering every day from `first` to `last` (same year)."""
    ranges = []
    month = first.month
    while month <= last.month:
        start = first.day if month == first.month else 1
        if month == last.month:
            field = f"{start}-{last.day}" if (start, last.day) != (1, 31) else "*"
        else:
            field = f"{start}-31" if start != 1 else "*"
        ranges.append((month, field))
        month += 1
    return ranges


def job_table(policy: Policy, year: int = 2001, *, inbox_every_minutes: int | None = None) -> list[JobSpec]:
    """The scheduled jobs from the policy. Review windows are computed on a common year (`year`: a
    non-leap one): the policy's review dates are month/day, the same every year. With
    `inbox_every_minutes` (a reply mailbox is configured) the inbox job reads it that often."""
    hh_mm = policy.reminders.sending_hour.strftime("%H:%M")
    at = _at(policy.reminders.sending_hour)
    review = policy.review
    opens = date(year, review.opens.month, review.opens.day)
    report_due = date(year, review.report_due.month, review.report_due.day)
    jobs = [JobSpec("review-open", "Mở kỳ sơ kết, gửi đường dẫn / open the annual review, email the links",
                    (f"{at} {opens.day} {opens.month} *",), f"{opens:%d/%m} hằng năm lúc {hh_mm}", "open")]
    chase_first, chase_last = opens + _DAY, report_due - _DAY
    if chase_first <= chase_last:
        ranges = _day_ranges(chase_first, chase_last)
        jobs.append(JobSpec(
            "review-chase", "Nhắc đơn vị chưa nộp báo cáo sơ kết / chase agencies that have not reported",
            tuple(f"{at} {days} {month} *" for month, days in ranges),
            f"hằng ngày {chase_first:%d/%m}-{chase_last:%d/%m} lúc {hh_mm}", "chase"))
    jobs.append(JobSpec("review-compile", "Tổng hợp báo cáo sơ kết / compile the review report",
                        (f"{at} {report_due.day} {report_due.month} *",), f"{report_due:%d/%m} hằng năm lúc {hh_mm}",
                        "compile"))
    jobs.append(JobSpec("send-reminders", "Nhắc việc hằng ngày / the daily deadline reminders",
                        (f"{at} * * *",), f"hằng ngày lúc {hh_mm} (ngày nghỉ không gửi thư)"))
    if inbox_every_minutes is not None:
        step = "*" if inbox_every_minutes == 1 else f"*/{inbox_every_minutes}"
        jobs.append(JobSpec("read-inbox", "Đọc thư trả lời và thư báo lỗi / read replies and bounces",
                            (f"{step if inbox_every_minutes < 60 else '0'} * * * *",),
                            f"mỗi {inbox_every_minutes} phút" if inbox_every_minutes < 60 else "mỗi giờ"))
    return jobs


def job_by_id(policy: Policy, job_id: str, *, inbox_every_minutes: int | None = None) -> JobSpec:
    for spec in job_table(policy, inbox_every_minutes=inbox_every_minutes):
        if spec.id == job_id:
            return spec
    raise KeyError(job_id)


# --- fire times ----------------------------------------------------------------------------------

def next_fire(spec: JobSpec, now: datetime) -> datetime | None:
    """The job's next fire time at or after `now`, in Vietnam time."""
    fire = spec.trigger().get_next_fire_time(None, now)
    return fire.astimezone(VN_TZ) if fire else None


def fires_between(spec: JobSpec, after: datetime, until: datetime) -> list[datetime]:
    """Every fire time in (after, until], in order."""
    trigger, fires = spec.trigger(), []
    fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while fire is not None and fire <= until:
        fires.append(fire.astimezone(VN_TZ))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return fires


def due_fire(spec: JobSpec, *, last_fire: datetime | None, now: datetime, catch_up: timedelta) -> datetime | None:
    """The fire time the job should run for at `now`, or None if it is up to date: the latest of its
    fire times after the last one it ran for (all missed runs coalesced into this one). A job that
    never ran looks back `catch_up` only."""
    after = last_fire if last_fire is not None else now - catch_up
    fires = fires_between(spec, after, now)
    return fires[-1] if fires else None


def acts_on(spec: JobSpec, policy: Policy, *, now: datetime, plan_inputs_due: str | None = None) -> date | None:
    """For a review job, the next day it actually does something: the opening day, the next day a
    chaser or the missing list goes out (working days, reminder rhythm), the report's due day."""
    if spec.review_step is None:
        return None
    calendar = WorkCalendar.from_policy(policy.working_days)
    fire = next_fire(spec, now)
    for _ in range(800):  # at most two years of fire times
        if fire is None:
            return None
        day = fire.date()
        if spec.review_step != "chase":
            return day
        if chase_sends_on(day, policy, calendar, plan_inputs_due):
            return day
        fire = next_fire(spec, fire + timedelta(seconds=1))
    return None
