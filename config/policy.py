"""The editable policies in config/policy.yaml, read and checked."""
import re
from datetime import date, time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.errors import Refusal
from config.files import read_yaml, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthDay(_Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class DueDatePolicy(_Strict):
    # The yearly check-in of a duty without a deadline: the day its agency reports on it (never a deadline).
    checkin: MonthDay = MonthDay(month=11, day=30)
    # Gone: a policy date at the horizon's end made every undated duty "late" on 01/01 after it.
    final_due_at_horizon_end: bool = False
    default_period_rrule: str = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"

    @field_validator("final_due_at_horizon_end")
    @classmethod
    def _no_invented_deadline(cls, value):
        if value:
            raise Refusal("is no longer supported: a duty the plan gives no date has no deadline; set one "
                          "on the task in the plan file (due, with overrides: [due] and a note saying why)",
                          vi="không còn được hỗ trợ: nhiệm vụ mà kế hoạch không nêu ngày thì không có hạn; hãy đặt "
                             "hạn cho nhiệm vụ trong tệp kế hoạch (due, với overrides: [due] và một ghi chú nói lý do)")
        return value


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class ReminderPolicy(_Strict):
    days_before: list[int] = [30, 7, 1]
    on_due_day: bool = True
    overdue_every_days: int = Field(default=7, ge=1)
    escalate_after_days_overdue: int = Field(default=14, ge=0)
    coordinators_informed_on: list[str] = ["before:7"]
    summary_weekday: Literal[tuple(WEEKDAYS)] = "monday"
    sending_hour: time = time(8, 0)
    max_attempts: int = Field(default=8, ge=1)
    retry_after_minutes: int = Field(default=15, ge=1)
    # A deputy reads an agency's reminders: "always" (beside the primary), or "when_covering" (only on the
    # days every primary is away). Either way a primary who is away reads nothing those days.
    deputies: Literal["always", "when_covering"] = "always"

    @field_validator("days_before")
    @classmethod
    def _positive_and_sorted(cls, value):
        if any(d <= 0 for d in value):
            raise Refusal("days before must be positive",
                          vi="số ngày trước hạn phải là số dương")
        return sorted(set(value), reverse=True)

    @field_validator("coordinators_informed_on")
    @classmethod
    def _known_rules(cls, value):
        for rule in value:
            if not re.fullmatch(r"before:\d+|due|overdue", rule):
                raise Refusal(f"'{rule}' is not before:N, due or overdue",
                              vi=f"'{rule}' không phải before:N, due hay overdue")
        return value

    @property
    def summary_weekday_number(self) -> int:
        return WEEKDAYS.index(self.summary_weekday)


class ReviewPolicy(_Strict):
    """The annual review cycle (plan section 4.2): when it opens, when inputs and the report are due."""

    opens: MonthDay = MonthDay(month=11, day=1)
    inputs_due: MonthDay = MonthDay(month=11, day=30)
    report_due: MonthDay = MonthDay(month=12, day=15)
    # The cycle closes (links stop working, inputs are refused) at the end of the day this many days
    # after the report's due date.
    close_days_after_report: int = Field(default=0, ge=0, le=365)
    # The compiled report is written to <data_dir>/reviews/ in these formats on its due date.
    report_formats: list[Literal["docx", "xlsx", "md"]] = ["docx", "xlsx"]

    @model_validator(mode="after")
    def _in_order(self):
        order = [(self.opens.month, self.opens.day), (self.inputs_due.month, self.inputs_due.day),
                 (self.report_due.month, self.report_due.day)]
        if not order[0] < order[1] <= order[2]:
            raise Refusal("the review must open before its inputs are due, and inputs be due no later than the report",
                          vi="đợt sơ kết phải mở trước hạn nộp báo cáo của các cơ quan, và hạn đó không muộn hơn hạn "
                             "báo cáo sơ kết")
        return self


class WorkingDaysPolicy(_Strict):
    extra_days_off: list[date] = []
    make_up_working_days: list[date] = []


class WorkPolicy(_Strict):
    """Extension requests (models/task_work.py)."""
    # How many extensions one occurrence may be granted; null: no cap.
    max_extensions_per_occurrence: int | None = Field(default=2, ge=0)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_dates: DueDatePolicy = DueDatePolicy()
    reminders: ReminderPolicy = ReminderPolicy()
    working_days: WorkingDaysPolicy = WorkingDaysPolicy()
    review: ReviewPolicy = ReviewPolicy()
    work: WorkPolicy = WorkPolicy()


def read_policy(path: Path) -> Policy:
    return validate(Policy, read_yaml(path), Path(path))
