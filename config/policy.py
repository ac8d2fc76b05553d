"""The editable policies in config/policy.yaml, read and checked."""
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import read_yaml, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthDay(_Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class DueDatePolicy(_Strict):
    checkin: MonthDay = MonthDay(month=11, day=30)
    final_due_at_horizon_end: bool = True
    default_period_rrule: str = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"


class Policy(BaseModel):
    # Other sections (reminders, review) are read by their own modules.
    model_config = ConfigDict(extra="allow")

    due_dates: DueDatePolicy = DueDatePolicy()


def read_policy(path: Path) -> Policy:
    return validate(Policy, read_yaml(path), Path(path))
