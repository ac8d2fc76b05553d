"""The annual review's rules, as pure functions of `now`: the section-1.3 indicators, the statuses an
agency reports, link tokens, the cycle's dates, when a submission is refused, the phase, the chasers,
and the plan's own input deadline as its text states it. Its tables are in models/review/tables.py.
"""
import calendar
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from models.clock import local_date, start_of_day
from models.reminders import Firing, deadline_firing
from models.workdays import WorkCalendar

if TYPE_CHECKING:
    from config.files import PlanFile


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


def refusal(*, closes_at: datetime, inputs_due: date, already_submitted: bool, now: datetime,
            language: str = "en") -> str | None:
    """Why a submission cannot be accepted at `now`, or None.

    Before the deadline a resubmission replaces the earlier one. After it, an agency that has not
    reported may still do so (late) until the cycle closes; one that has, may no longer change it.
    """
    if is_closed(closes_at, now):
        closed_on = local_date(closes_at - timedelta(seconds=1))
        return (f"đợt sơ kết đã kết thúc ngày {closed_on:%d/%m/%Y}" if language == "vi"
                else f"the review closed on {closed_on:%d/%m/%Y}")
    if already_submitted and local_date(now) > inputs_due:
        if language == "vi":
            return (f"hạn nộp báo cáo là ngày {inputs_due:%d/%m/%Y} và cơ quan này đã nộp; "
                    "hãy đề nghị Liên minh Hợp tác xã tỉnh mở lại")
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


def chase_sends_on(day: date, policy, calendar: WorkCalendar, plan_inputs_due: str | None = None) -> bool:
    """Whether the review's daily chase job sends anything on `day`: a chaser to the agencies that have
    not reported, or the missing list (the reminder rhythm, on working days of `calendar`)."""
    dates = cycle_dates(day.year, policy.review, plan_inputs_due)
    chaser = chaser_firing(opens_on=dates.opens_on, inputs_due=dates.inputs_due, today=day,
                           reminder_policy=policy.reminders, calendar=calendar)
    listing = missing_list_firing(inputs_due=dates.inputs_due, today=day, reminder_policy=policy.reminders,
                                  calendar=calendar)
    return any(f is not None and f.fire_date == day for f in (chaser, listing))


# --- the plan's own input deadline ---------------------------------------------------------------

_YEARLY_DEADLINE = re.compile(r"trước ngày (\d{1,2}) tháng (\d{1,2}) (?:hằng|hàng) năm", re.IGNORECASE)


def review_inputs_due_from_text(texts) -> str | None:
    """"trước ngày 30 tháng 11 hằng năm" in a duty's text -> "11-30" (the first such phrase)."""
    for text in texts:
        match = _YEARLY_DEADLINE.search(unicodedata.normalize("NFC", text or ""))
        if match:
            day, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{month:02d}-{day:02d}"
    return None


def review_inputs_due_of(plan_file: "PlanFile") -> str | None:
    """The plan's own review input deadline: its header's `review_inputs_due`, else its text's."""
    header = plan_file.plan.review_inputs_due
    if header is not None:
        return f"{header.month:02d}-{header.day:02d}"
    return review_inputs_due_from_text(entry.text for entry in plan_file.tasks)
