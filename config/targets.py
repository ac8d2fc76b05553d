"""A plan's section-1.3 targets (config/plans/<plan>.targets.yaml), read and checked."""
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import CONFIG_DIR
from config.errors import InputError, Refusal
from config.files import read_yaml, validate

INDICATOR_CODES = ("cooperatives_total", "new_established", "operating_effectively", "weak", "converted_2012_law",
                   "dissolved", "model_cooperatives", "officers_total", "officers_trained")
Code = Literal[INDICATOR_CODES]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    label_vi: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    text: str = ""
    # yearly_average, share, per_district: indicators against a number; duty: met when the plan's
    # duties `refs` are done; figure: an indicator's total shown, no number to judge by; text: judged by
    # the people who write the report (no figure is collected for it).
    measure: Literal["yearly_average", "share", "per_district", "duty", "figure", "text"]
    indicator: Code | None = None
    part: Code | None = None
    whole: Code | None = None
    refs: list[str] = []
    op: Literal[">=", "<", "<="] | None = None
    value: float | None = None

    @model_validator(mode="after")
    def _measure_has_its_indicators(self):
        if self.measure == "share" and (self.part is None or self.whole is None):
            raise Refusal("a share needs part and whole",
                          vi="tỷ lệ cần part và whole")
        if self.measure in ("yearly_average", "per_district", "figure") and self.indicator is None:
            raise Refusal(f"measure {self.measure} needs an indicator",
                          vi=f"measure {self.measure} cần indicator")
        if self.measure in ("yearly_average", "share", "per_district") and (self.op is None or self.value is None):
            raise Refusal(f"measure {self.measure} needs op and value",
                          vi=f"measure {self.measure} cần op và value")
        if self.measure == "duty" and not self.refs:
            raise Refusal("measure duty needs the refs of the duties that reach it",
                          vi="measure duty cần refs của các nhiệm vụ đạt chỉ tiêu này")
        return self


class TargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: str
    source: str = ""
    targets: list[Target] = Field(min_length=1)


def read_targets(path: Path) -> TargetsFile:
    return validate(TargetsFile, read_yaml(path), Path(path))


def targets_for(plan_code: str, folder: Path = CONFIG_DIR / "plans") -> TargetsFile | None:
    """The targets file in `folder` whose `plan` is this plan's code, if any."""
    for path in sorted(Path(folder).glob("*.targets.yaml")):
        targets = read_targets(path)
        if targets.plan == plan_code:
            return targets
    return None


def load_targets(plan_code: str, path: Path | None) -> TargetsFile | None:
    if path is None:
        return targets_for(plan_code)
    targets = read_targets(path)
    if targets.plan != plan_code:
        raise InputError(f"these targets are for plan {targets.plan}, not {plan_code}", path=path, field="plan",
                         vi=f"các chỉ tiêu này thuộc kế hoạch {targets.plan}, không phải {plan_code}")
    return targets
