"""The annual review (plan section 4.2): one cycle per plan and year, a request per reporting agency,
its submissions and the indicator values they carry. And the rules about them, as pure functions.

A request is reached through links: each email carries its own unguessable token
(`secrets.token_urlsafe(32)`, 256 bits); only its SHA-256 is stored, and every link of a cycle
expires when the cycle closes.
"""
import calendar
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.clock import local_date, start_of_day
from models.reminders import Firing, deadline_firing
from models.types import UtcDateTime
from models.workdays import WorkCalendar


class CycleStatus(StrEnum):
    OPEN = "open"
    REPORTED = "reported"  # the compiled report was written (it may be compiled again)


class Channel(StrEnum):
    WEB = "web"
    CLI = "cli"
    XLSX = "xlsx"
    SIMULATED = "simulated"  # `dondoc simulate --demo-agencies`: not real data


class ReviewCycle(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    year: int
    opens_on: date
    inputs_due: date
    report_due: date
    # Links stop working and inputs are refused from this moment.
    closes_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    status: str = Field(default=CycleStatus.OPEN, max_length=20)
    opened_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reported_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))

    def is_closed(self, now: datetime) -> bool:
        return is_closed(self.closes_at, now)


class ReviewRequest(SQLModel, table=True):
    """What one agency is asked for in one cycle."""

    __table_args__ = (UniqueConstraint("cycle_id", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="reviewcycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    asks_indicators: bool = False  # districts and the Alliance report the section-1.3 indicators
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    # The latest accepted submission, and whether the agency's inputs came after the deadline.
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    late: bool = False


class ReviewToken(SQLModel, table=True):
    """One link to a request (each email has its own); only the token's SHA-256 is kept."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="reviewrequest.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reason: str = Field(max_length=40)  # request, chaser:before:7, chaser:overdue:7, ...


class ReviewSubmission(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="reviewrequest.id", index=True)
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    channel: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    late: bool = False
    # The validated inputs: {"tasks": [...], "indicators": {...}, "notes": "..."}.
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    source_name: str | None = Field(default=None, max_length=255)  # the file it came from
    replaced_by_id: int | None = Field(default=None, foreign_key="reviewsubmission.id")
    note: str | None = Field(default=None, sa_column=Column(Text))


class IndicatorValue(SQLModel, table=True):
    """One section-1.3 indicator as one agency reported it for one year (kept per submission)."""

    __table_args__ = (UniqueConstraint("submission_id", "indicator"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="reviewsubmission.id", index=True)
    cycle_id: int = Field(foreign_key="reviewcycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    indicator: str = Field(max_length=40)
    value: int


# --- the indicators behind section 1.3 ------------------------------------------------------

@dataclass(frozen=True)
class Indicator:
    code: str
    label_vi: str
    label_en: str
    flow: bool  # counted over the year (summed across years); else a year-end stock
    whole: str | None = None  # the indicator it is a part of (cannot exceed it)

    def label(self, language: str = "vi") -> str:
        return self.label_en if language == "en" else self.label_vi


INDICATORS: list[Indicator] = [
    Indicator("cooperatives_total", "Tổng số hợp tác xã đang hoạt động (cuối năm)",
              "Cooperatives operating (year end)", flow=False),
    Indicator("new_established", "Hợp tác xã thành lập mới trong năm", "New cooperatives established in the year",
              flow=True),
    Indicator("operating_effectively", "Hợp tác xã hoạt động có hiệu quả", "Cooperatives operating effectively",
              flow=False, whole="cooperatives_total"),
    Indicator("weak", "Hợp tác xã hoạt động yếu kém", "Weak cooperatives", flow=False, whole="cooperatives_total"),
    Indicator("converted_2012_law", "Hợp tác xã đã chuyển đổi theo Luật Hợp tác xã 2012",
              "Cooperatives converted to the 2012 Law on Cooperatives", flow=False, whole="cooperatives_total"),
    Indicator("dissolved", "Hợp tác xã giải thể trong năm", "Cooperatives dissolved in the year", flow=True),
    Indicator("model_cooperatives", "Hợp tác xã điển hình, vững mạnh toàn diện", "Model cooperatives", flow=False,
              whole="cooperatives_total"),
    Indicator("officers_total", "Cán bộ quản lý, chuyên môn lĩnh vực hợp tác xã",
              "Officers working on cooperatives", flow=False),
    Indicator("officers_trained", "Cán bộ đã được đào tạo, bồi dưỡng", "Officers trained", flow=False,
              whole="officers_total"),
]
INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}


# --- task statuses an agency reports ---------------------------------------------------------

class ReportedStatus(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"

    @property
    def label_vi(self) -> str:
        return {"done": "Hoàn thành", "in_progress": "Đang thực hiện", "not_started": "Chưa thực hiện"}[self.value]

    @property
    def label_en(self) -> str:
        return {"done": "Done", "in_progress": "In progress", "not_started": "Not started"}[self.value]


# --- tokens ------------------------------------------------------------------------------------

def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Compare in constant time (the lookup found the row by hash; this confirms it)."""
    return hmac.compare_digest(hash_token(token), stored_hash)


def is_expired(expires_at: datetime, now: datetime) -> bool:
    return now >= expires_at


def is_closed(closes_at: datetime, now: datetime) -> bool:
    return now >= closes_at


# --- the cycle's dates -------------------------------------------------------------------------

def _on(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class CycleDates:
    opens_on: date
    inputs_due: date
    report_due: date
    closes_at: datetime


def cycle_dates(year: int, policy, plan_inputs_due: str | None = None) -> CycleDates:
    """The year's dates from the policy (`review:`); a plan that sets its own input deadline
    ("trước ngày 30 tháng 11 hằng năm", stored as MM-DD) wins over the policy's."""
    opens = _on(year, policy.opens.month, policy.opens.day)
    if plan_inputs_due:
        month, day = (int(part) for part in plan_inputs_due.split("-"))
        inputs_due = _on(year, month, day)
    else:
        inputs_due = _on(year, policy.inputs_due.month, policy.inputs_due.day)
    report_due = max(_on(year, policy.report_due.month, policy.report_due.day), inputs_due)
    opens = min(opens, inputs_due)
    closes_at = start_of_day(report_due + timedelta(days=policy.close_days_after_report + 1))
    return CycleDates(opens, inputs_due, report_due, closes_at)


def is_late(submitted_at: datetime, inputs_due: date) -> bool:
    """Inputs are on time through the whole due day in Vietnam."""
    return local_date(submitted_at) > inputs_due


def refusal(*, closes_at: datetime, inputs_due: date, already_submitted: bool, now: datetime) -> str | None:
    """Why a submission cannot be accepted at `now`, or None.

    Before the deadline a resubmission replaces the earlier one. After it, an agency that has not
    reported may still do so (late) until the cycle closes; one that has, may no longer change it.
    """
    if is_closed(closes_at, now):
        return f"the review closed on {local_date(closes_at - timedelta(seconds=1)):%d/%m/%Y}"
    if already_submitted and local_date(now) > inputs_due:
        return (f"the inputs were due on {inputs_due:%d/%m/%Y} and this agency has already submitted; "
                "ask the Provincial Cooperative Alliance to reopen it")
    return None


def phase(opens_on: date, inputs_due: date, closes_at: datetime, now: datetime) -> str:
    """not_open, collecting, past_due (late inputs still accepted), closed."""
    today = local_date(now)
    if today < opens_on:
        return "not_open"
    if is_closed(closes_at, now):
        return "closed"
    return "collecting" if today <= inputs_due else "past_due"


def chaser_firing(*, opens_on: date, inputs_due: date, today: date, reminder_policy,
                  calendar: WorkCalendar) -> Firing | None:
    """The chaser to non-submitters going out by `today`: the reminder policy's firings for the
    input deadline (N days before, the due day, every `overdue_every_days` after), only those
    falling after the opening (the request itself is the first message)."""
    firing = deadline_firing(inputs_due, today, reminder_policy, calendar)
    if firing is None or firing.fire_date <= opens_on:
        return None
    return firing


def missing_list_firing(*, inputs_due: date, today: date, reminder_policy, calendar: WorkCalendar) -> Firing | None:
    """When Alliance staff get the list of missing agencies: the first working day after the
    deadline, then on each overdue chaser."""
    if today <= inputs_due:
        return None
    first = inputs_due + timedelta(days=1)
    while not calendar.is_working_day(first):
        first += timedelta(days=1)
    candidates = [Firing("missing", inputs_due + timedelta(days=1), first)]
    overdue = deadline_firing(inputs_due, today, reminder_policy, calendar)
    if overdue is not None and overdue.rule.startswith("overdue") and overdue.fire_date > inputs_due:
        candidates.append(Firing(f"missing:{overdue.rule}", overdue.nominal, overdue.fire_date))
    due_now = [f for f in candidates if f.fire_date <= today]
    return max(due_now, key=lambda f: (f.fire_date, f.nominal), default=None)
