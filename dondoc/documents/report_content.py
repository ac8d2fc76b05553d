"""What a báo cáo says: read from the database once, then plain data the writers
(dondoc/documents/bao_cao.py) lay out. Two kinds: the annual review's báo cáo sơ kết (with what the
agencies submitted) and the periodic báo cáo tình hình thực hiện for a quarter, half year or year.
Measuring against the section-1.3 targets is a pure function of the indicator values and duties."""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from models.agency import Agency, AgencyKind
from models.clock import local_date
from models.numbers import number, percent
from models.plan import Plan, Task
from models.queries import overdue
from models.review.rules import INDICATORS, ReportedStatus
from models.review.tables import Channel, IndicatorValue, ReviewCycle, ReviewRequest, ReviewSubmission
from models.review.operations import STATE_LABELS, form_for, status_rows
from models.status import (StatusCategory, StatusSummary, Window, days_late, duty_status, entry_ref, period_label,
                           read_facts, summarize)


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
    judged_by_authors: bool = False  # no figure is collected: the report's authors judge it

    @property
    def verdict(self) -> str:
        if self.judged_by_authors:
            return "Đơn vị tổng hợp đánh giá"
        return {True: "Đạt", False: "Chưa đạt", None: "Chưa có số liệu"}[self.met]


@dataclass
class DutyLine:
    """One duty of the period reported on, as the annexes list it: numbered as the plan numbers it,
    led by an agency named by its name (never an internal code)."""
    entry: str  # 3.3-a
    title: str
    agency: str
    periods: str  # "Quý II/2015; Quý III/2015" or "Năm 2016"; "" for a one-off
    due: date | None  # the latest deadline in the period, None for a duty without one
    status: StatusCategory
    days_late: int
    result: str  # the latest note recorded by the day of the report
    original_due: date | None = None  # the plan's date when the deadline was extended (đã gia hạn)


@dataclass
class EvidenceLine:
    """One evidence file (sản phẩm) filed with a duty of the period, as the annex lists it."""
    entry: str
    title: str
    agency: str
    due: date | None
    filename: str
    filed_on: date


def evidence_lines(session: Session, plan: Plan, today: date, window: Window) -> list[EvidenceLine]:
    """The files filed by `today` with the occurrences `window` holds (the duties' rule), in plan order."""
    from models.evidence import EvidenceFile
    from models.occurrence import Occurrence
    rows = session.exec(select(EvidenceFile, Occurrence, Task, Agency)
                        .join(Occurrence, Occurrence.id == EvidenceFile.occurrence_id)
                        .join(Task, Task.id == EvidenceFile.task_id).join(Agency, Agency.id == EvidenceFile.agency_id)
                        .where(Task.plan_id == plan.id).order_by(Task.id, Occurrence.due_date, EvidenceFile.id)).all()
    return [EvidenceLine(entry_ref(task.ref), task.title, agency.name_vi, occ.due_date, f.filename, local_date(f.at))
            for f, occ, task, agency in rows
            if local_date(f.at) <= today and window.holds(due=occ.due_date, progress=occ.progress,
                                                          completed_on=occ.completed_on)]


@dataclass
class Report:
    plan_code: str
    plan_title: str
    year: int
    first_year: int
    inputs_due: date | None
    report_due: date | None
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
    # "so_ket": the annual review's báo cáo sơ kết; "tinh_hinh": a periodic report on `window`.
    kind: str = "so_ket"
    window: Window | None = None
    plan_number: str | None = None
    duties: list[DutyLine] = field(default_factory=list)  # the period's duties, for the annex
    next_duties: list[DutyLine] = field(default_factory=list)  # what falls due in the next period
    next_label: str = ""
    evidence: list[EvidenceLine] = field(default_factory=list)  # files filed with the period's duties (annex)
    # Explanations given (giải trình) on the plan's duties by the compiling day: (entry, agency, due, asked, answer).
    explanations: list[tuple] = field(default_factory=list)

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
                     districts: list[str], duties: dict[str, StatusCategory] | None = None,
                     names: dict[str, str] | None = None) -> list[TargetResult]:
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
        label = t.label_vi
        if t.measure == "text":
            results.append(TargetResult(t.code, label, t.text, "Theo Kế hoạch", "—", None,
                                        "không có chỉ số thu thập; đề nghị đơn vị tổng hợp đánh giá", True))
            continue
        if t.measure == "figure":
            figure = total(year, t.indicator)
            results.append(TargetResult(t.code, label, t.text, "Theo Kế hoạch", "—" if figure is None else number(figure),
                                        None, "số liệu năm theo báo cáo của các đơn vị"))
            continue
        if t.measure == "duty":
            shares = {ref: category for ref, category in (duties or {}).items() if entry_ref(ref) in t.refs}
            open_ = sorted(ref for ref, category in shares.items() if not category.is_done)
            results.append(TargetResult(
                t.code, label, t.text, "Hoàn thành nhiệm vụ " + ", ".join(t.refs),
                "Đã hoàn thành" if shares and not open_ else "Chưa hoàn thành", bool(shares) and not open_,
                f"chưa hoàn thành: {len(open_)} nhiệm vụ" if open_ else ""))
            continue
        check, sign = _OPS[t.op]
        unit = "%" if t.measure == "share" else ""
        target = f"{sign} {number(t.value, decimals=1)}{unit}"
        if t.measure == "yearly_average":
            years = list(range(first_year, year + 1))
            sums = [total(y, t.indicator) for y in years]
            if all(s is None for s in sums):
                results.append(TargetResult(t.code, label, t.text, target, "—", None))
                continue
            overall = sum(s or 0 for s in sums)
            average = overall / len(years)
            results.append(TargetResult(t.code, label, t.text, f"{target}/năm", f"{number(average, decimals=1)}/năm",
                                        check(average, t.value),
                                        f"{number(overall)} trong {len(years)} năm ({first_year}-{year})"))
        elif t.measure == "share":
            pairs = [(v[t.part], v[t.whole]) for v in this_year.values() if t.part in v and t.whole in v]
            whole = sum(w for _, w in pairs)
            if not pairs or whole == 0:
                results.append(TargetResult(t.code, label, t.text, target, "—", None))
                continue
            part = sum(p for p, _ in pairs)
            share = 100 * part / whole
            results.append(TargetResult(t.code, label, t.text, target, percent(part / whole, decimals=1),
                                        check(share, t.value), f"{number(part)}/{number(whole)}"))
        else:  # per_district
            short = [d for d in districts if not (t.indicator in this_year.get(d, {})
                                                  and check(this_year[d][t.indicator], t.value))]
            reached = len(districts) - len(short)
            results.append(TargetResult(
                t.code, label, t.text, f"{target} mỗi huyện", f"{reached}/{len(districts)} huyện, thị xã",
                (not short) if any(d in this_year for d in districts) else None,
                f"chưa đạt hoặc chưa báo cáo: {', '.join((names or {}).get(d, d) for d in short)}" if short else ""))
    return results


def duty_lines(session: Session, plan: Plan, facts, today: date, window: Window) -> list[DutyLine]:
    """Every duty `window` holds (models.status.summarize's rule), by agency name then plan order."""
    from models.occurrence import Occurrence
    tasks = {t.id: t for t in session.exec(select(Task).where(Task.plan_id == plan.id, Task.retired == False))}  # noqa: E712
    agencies = {a.code: a.name_vi for a in session.exec(select(Agency))}
    notes = {}
    for occ in session.exec(select(Occurrence).join(Task).where(Task.plan_id == plan.id, Occurrence.note != None)  # noqa: E711
                            .order_by(Occurrence.due_date)):
        if occ.updated_at is None or local_date(occ.updated_at) <= today:
            notes[occ.task_id] = occ.note
    lines = []
    for fact in facts:
        task = tasks.get(fact.task_id)
        if task is None:
            continue
        held = [p for p in fact.periods
                if window.holds(due=p.planned, progress=p.progress, completed_on=p.completed_on)]
        deadlines = [p for p in held if p.kind == "deadline"]
        if not deadlines and any(p.kind == "deadline" for p in fact.periods):
            continue
        state = duty_status(held or fact.periods, today)
        late = max((days_late(due=p.due, kind=p.kind, progress=p.progress, completed_on=p.completed_on, today=today)
                    for p in deadlines), default=0)
        labels = "; ".join(period_label(p.planned, task.rrule) for p in deadlines) if task.timing == "recurring" else ""
        latest = max(deadlines, key=lambda p: p.due, default=None)
        lines.append(DutyLine(entry_ref(task.ref), task.title, agencies.get(fact.agency_code, fact.agency_name), labels,
                              latest.due if latest else None, state, late, notes.get(task.id) or "",
                              latest.original if latest else None))
    order = {t.ref: n for n, t in enumerate(sorted(tasks.values(), key=lambda t: t.id))}
    return sorted(lines, key=lambda d: (d.agency, order.get(d.entry, 0), d.entry))


def next_window(window: Window | None, year: int) -> Window:
    """The period after the one reported on: the next quarter, half year or year."""
    if window is None or window.start is None or (window.start.month == 1 and window.end.month == 12):
        return Window.year(year + 1)
    months = (window.end.year - window.start.year) * 12 + window.end.month - window.start.month + 1
    if months == 3:
        quarter = (window.start.month - 1) // 3 + 1
        return Window.quarter(year + (quarter == 4), 1 if quarter == 4 else quarter + 1)
    return Window.half(year + (window.start.month == 7), 1 if window.start.month == 7 else 2)


def build_periodic(session: Session, plan: Plan, window: Window, *, now: datetime, targets=None) -> Report:
    """The báo cáo tình hình thực hiện for a quarter, half year or year, as of `now`'s day."""
    today = local_date(now)
    facts = read_facts(session, plan_id=plan.id)
    summary = summarize(facts, today, window)
    to_date = summarize(facts, today)
    year = window.end.year
    results = []
    if targets and window.start.month == 1 and window.end.month == 12:
        values = indicator_values(session, plan, year)
        district_names = dict(session.exec(select(Agency.code, Agency.name_vi).where(Agency.kind == AgencyKind.DISTRICT)).all())
        results = evaluate_targets(targets.targets, values, year=year, first_year=plan.horizon_start.year,
                                   districts=sorted(district_names), duties=to_date.duty_status, names=district_names)
    plan_refs = set(session.exec(select(Task.ref).where(Task.plan_id == plan.id)))
    late = [r.as_dict() for r in overdue(session, now=now) if r.ref in plan_refs]
    following = next_window(window, year)
    return Report(plan.code, plan.title, year, plan.horizon_start.year, None, None, today, [], results,
                  {}, late, [], {}, summary, to_date, kind="tinh_hinh", window=window, plan_number=plan.number,
                  duties=duty_lines(session, plan, facts, today, window),
                  next_duties=[d for d in duty_lines(session, plan, facts, today, following)
                               if d.status != StatusCategory.NO_DEADLINE],
                  next_label=following.label, explanations=explanations_of(session, plan, local_date(now)),
                  evidence=evidence_lines(session, plan, today, window))


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
    facts = read_facts(session, plan_id=plan.id)
    summary = summarize(facts, local_date(now), Window.year(cycle.year))
    to_date = summarize(facts, local_date(now))
    names = {a.code: a.name for a in agencies}
    results = evaluate_targets(targets.targets, values, year=cycle.year, first_year=plan.horizon_start.year,
                               districts=districts, duties=to_date.duty_status, names=names) if targets else []
    totals = {i.code: sum(v.get(i.code, 0) for v in values.get(cycle.year, {}).values()) for i in INDICATORS}
    plan_refs = set(session.exec(select(Task.ref).where(Task.plan_id == plan.id)))
    late = [r.as_dict() for r in overdue(session, now=now) if r.ref in plan_refs]
    counts = {state: sum(1 for a in agencies if a.state == state) for state in STATE_LABELS}
    year_window, following = Window.year(cycle.year), Window.year(cycle.year + 1)
    return Report(plan.code, plan.title, cycle.year, plan.horizon_start.year, cycle.inputs_due, cycle.report_due,
                  local_date(now), agencies, results, totals, late, proposals, counts, summary, to_date,
                  kind="so_ket", window=year_window, plan_number=plan.number,
                  duties=duty_lines(session, plan, facts, local_date(now), year_window),
                  next_duties=[d for d in duty_lines(session, plan, facts, local_date(now), following)
                               if d.status != StatusCategory.NO_DEADLINE],
                  next_label=following.label, explanations=explanations_of(session, plan, local_date(now)),
                  evidence=evidence_lines(session, plan, local_date(now), year_window))


def explanations_of(session: Session, plan: Plan, today: date) -> list[tuple]:
    """The explanations given by `today` on the plan's duties, for the annex: (entry, title, agency,
    due in force, the plan's due when extended, what was asked, the answer, the day answered)."""
    from models.occurrence import Occurrence
    from models.task_work import answered_explanations
    agencies = {a.id: a.name_vi for a in session.exec(select(Agency))}
    rows = []
    for found, task in answered_explanations(session, plan.id, today):
        occ = session.get(Occurrence, found.occurrence_id)
        rows.append((entry_ref(task.ref), task.title, agencies.get(task.lead_agency_id, ""), occ.due_date,
                     occ.original_due, found.reason, found.decision_note, local_date(found.decided_at)))
    return rows
