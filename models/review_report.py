"""What the compiled "báo cáo sơ kết" says: read from the database once, then plain data the
writers (dondoc/review_files.py) lay out. Measuring against the section-1.3 targets is a pure
function of the indicator values."""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from models.agency import Agency, AgencyKind
from models.clock import local_date
from models.plan import Plan, Task
from models.queries import overdue
from models.review import (
    INDICATORS, Channel, IndicatorValue, ReportedStatus, ReviewCycle, ReviewRequest, ReviewSubmission,
)
from models.review_ops import STATE_LABELS, form_for, status_rows
from models.status import StatusSummary, Window, read_facts, summarize


def vn_number(value: float, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return text.rstrip("0").rstrip(",") if "," in text else text


@dataclass
class TaskReport:
    ref: str
    title: str
    due: date
    status: str  # the category label now
    reported: str  # what the agency said (label) or ""
    progress: int | None
    result: str
    difficulties: str
    proposals: str


@dataclass
class AgencyReport:
    code: str
    name: str
    kind: str
    state: str
    state_label: str
    submitted_at: datetime | None
    channel: str | None
    tasks: list[TaskReport]
    indicators: dict[str, int] | None
    notes: str

    @property
    def simulated(self) -> bool:
        return self.channel == Channel.SIMULATED


@dataclass
class TargetResult:
    code: str
    label: str
    text: str
    target: str
    actual: str
    met: bool | None  # None: no figures to judge by
    detail: str = ""

    @property
    def verdict(self) -> str:
        return {True: "Đạt", False: "Chưa đạt", None: "Chưa có số liệu"}[self.met]


@dataclass
class Report:
    plan_code: str
    plan_title: str
    year: int
    first_year: int
    inputs_due: date
    report_due: date
    compiled_on: date
    agencies: list[AgencyReport]
    targets: list[TargetResult]
    indicator_totals: dict[str, int]
    overdue: list[dict]
    proposals: list[dict]
    status_counts: dict[str, int] = field(default_factory=dict)
    # The year's duties, plan entries and periods per category, as of the compiling day (models/status.py).
    summary: StatusSummary | None = None
    # Every duty of the plan from its start to the compiling day (lũy kế), as the dashboard counts them.
    to_date: StatusSummary | None = None

    @property
    def task_counts(self) -> dict[str, int]:
        """The year's duties (tasks) per category."""
        return self.summary.duties.as_dict() if self.summary else {}

    @property
    def simulated(self) -> bool:
        return any(a.simulated for a in self.agencies)

    @property
    def reporting(self) -> list[AgencyReport]:
        return [a for a in self.agencies if a.indicators is not None]


_OPS = {">=": (lambda a, b: a >= b, "≥"), "<": (lambda a, b: a < b, "<"), "<=": (lambda a, b: a <= b, "≤")}


def evaluate_targets(targets, values: dict[int, dict[str, dict[str, int]]], *, year: int, first_year: int,
                     districts: list[str]) -> list[TargetResult]:
    """Each target against the indicators: `values[year][agency code][indicator]`.

    Flows accumulate over the plan's years so far (a year nobody reported counts as 0); shares are
    the review year's province totals; per-district targets look at each district's own figure.
    """
    results = []
    this_year = values.get(year, {})

    def total(y: int, code: str) -> int | None:
        figures = [v[code] for v in values.get(y, {}).values() if code in v]
        return sum(figures) if figures else None

    for t in targets:
        check, sign = _OPS[t.op]
        unit = "%" if t.measure == "share" else ""
        target = f"{sign} {vn_number(t.value)}{unit}"
        label = t.label_vi
        if t.measure == "yearly_average":
            years = list(range(first_year, year + 1))
            sums = [total(y, t.indicator) for y in years]
            if all(s is None for s in sums):
                results.append(TargetResult(t.code, label, t.text, target, "—", None))
                continue
            overall = sum(s or 0 for s in sums)
            average = overall / len(years)
            results.append(TargetResult(t.code, label, t.text, f"{target}/năm", f"{vn_number(average)}/năm",
                                        check(average, t.value),
                                        f"{overall} trong {len(years)} năm ({first_year}-{year})"))
        elif t.measure == "share":
            pairs = [(v[t.part], v[t.whole]) for v in this_year.values() if t.part in v and t.whole in v]
            whole = sum(w for _, w in pairs)
            if not pairs or whole == 0:
                results.append(TargetResult(t.code, label, t.text, target, "—", None))
                continue
            part = sum(p for p, _ in pairs)
            share = 100 * part / whole
            results.append(TargetResult(t.code, label, t.text, target, f"{vn_number(share)}%", check(share, t.value),
                                        f"{part}/{whole}"))
        else:  # per_district
            short = [d for d in districts if not (t.indicator in this_year.get(d, {})
                                                  and check(this_year[d][t.indicator], t.value))]
            reached = len(districts) - len(short)
            results.append(TargetResult(
                t.code, label, t.text, f"{target} mỗi huyện", f"{reached}/{len(districts)} huyện, thị xã",
                (not short) if any(d in this_year for d in districts) else None,
                f"chưa đạt hoặc chưa báo cáo: {', '.join(short)}" if short else ""))
    return results


def indicator_values(session: Session, plan: Plan, up_to_year: int) -> dict[int, dict[str, dict[str, int]]]:
    """values[year][agency code][indicator] from each agency's current submission."""
    rows = session.exec(
        select(ReviewCycle.year, Agency.code, IndicatorValue.indicator, IndicatorValue.value)
        .join(ReviewSubmission, IndicatorValue.submission_id == ReviewSubmission.id)
        .join(ReviewCycle, IndicatorValue.cycle_id == ReviewCycle.id)
        .join(Agency, IndicatorValue.agency_id == Agency.id)
        .where(ReviewCycle.plan_id == plan.id, ReviewCycle.year <= up_to_year,
               ReviewSubmission.replaced_by_id == None)  # noqa: E711
    ).all()
    values: dict[int, dict[str, dict[str, int]]] = {}
    for year, code, indicator, value in rows:
        values.setdefault(year, {}).setdefault(code, {})[indicator] = value
    return values


def build_report(session: Session, cycle: ReviewCycle, *, now: datetime, targets) -> Report:
    plan = session.get(Plan, cycle.plan_id)
    rows = status_rows(session, cycle, now)
    requests = {r.id: r for r in session.exec(select(ReviewRequest).where(ReviewRequest.cycle_id == cycle.id))}
    agencies: list[AgencyReport] = []
    proposals: list[dict] = []
    values = indicator_values(session, plan, cycle.year)
    for row in rows:
        form = form_for(session, requests[row.request_id], now)
        payload = form.latest.payload if form.latest else {}
        tasks = []
        for line in form.lines:
            said = line.reported or {}
            tasks.append(TaskReport(
                line.ref, line.title, line.due, line.status.label_vi,
                ReportedStatus(said["status"]).label_vi if said.get("status") else "",
                said.get("progress"), said.get("result", ""), said.get("difficulties", ""), said.get("proposals", "")))
            if said.get("difficulties") or said.get("proposals"):
                proposals.append(dict(agency=row.name, code=row.code, ref=line.ref,
                                      difficulties=said.get("difficulties", ""), proposals=said.get("proposals", "")))
        if payload.get("notes"):
            proposals.append(dict(agency=row.name, code=row.code, ref="", difficulties="", proposals=payload["notes"]))
        indicators = None
        if form.request.asks_indicators:
            indicators = values.get(cycle.year, {}).get(row.code) if form.latest else None
            indicators = indicators if indicators is not None else ({} if form.request.asks_indicators else None)
        agencies.append(AgencyReport(row.code, row.name, row.kind, row.state, row.label_vi, row.submitted_at,
                                     row.channel, tasks, indicators, payload.get("notes", "")))
    districts = [a.code for a in agencies if a.kind == AgencyKind.DISTRICT]
    results = evaluate_targets(targets.targets, values, year=cycle.year, first_year=plan.horizon_start.year,
                               districts=districts) if targets else []
    totals = {i.code: sum(v.get(i.code, 0) for v in values.get(cycle.year, {}).values()) for i in INDICATORS}
    plan_refs = set(session.exec(select(Task.ref).where(Task.plan_id == plan.id)))
    late = [r.as_dict() for r in overdue(session, now=now) if r.ref in plan_refs]
    counts = {state: sum(1 for a in agencies if a.state == state) for state in STATE_LABELS}
    facts = read_facts(session, plan_id=plan.id)
    summary = summarize(facts, local_date(now), Window.year(cycle.year))
    return Report(plan.code, plan.title, cycle.year, plan.horizon_start.year, cycle.inputs_due, cycle.report_due,
                  local_date(now), agencies, results, totals, late, proposals, counts, summary,
                  summarize(facts, local_date(now)))
