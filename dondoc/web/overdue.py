"""The overdue list: search, filter by plan, agency, district-level unit, section and days overdue; sort
(by the column headers too); pages; each row's focal points; CSV and XLSX exports of the same rows
(written by dondoc/documents/exports.py). With several plans loaded, each row names its plan."""
from dataclasses import replace
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlmodel import Session, select

from dondoc.documents import exports
from dondoc.web import context_of, int_param, page, plan_now
from dondoc.web.access import staff
from models.agency import AgencyKind
from models.dashboard import (SORTS, OverdueFilter, agencies_with_tasks, overdue_all, overdue_page, plan_codes,
                              sections)
from models.status import StatusCategory

router = APIRouter()

# The filters, read from the query string by read_filter; named here for the OpenAPI description.
FILTERS = {"parameters": [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                          for name in ("q", "plan", "agency", "district", "section", "min_days", "sort", "page",
                                       "sep")]}


def read_filter(request: Request) -> OverdueFilter:
    q = request.query_params
    return OverdueFilter(agency=q.get("agency") or None, district=q.get("district") or None,
                         section=q.get("section") or None, min_days=int_param(request, "min_days", 0),
                         sort=q.get("sort") or "due", plan=q.get("plan") or None,
                         q=(q.get("q") or "").replace("\x00", "").strip()[:200] or None)


def _query(flt: OverdueFilter, **extra) -> str:
    values = dict(q=flt.q, plan=flt.plan, agency=flt.agency, district=flt.district, section=flt.section,
                  min_days=flt.min_days or None, sort=flt.sort if flt.sort != "due" else None, **extra)
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def agency_options(agencies: list, chosen: str | None, lang: str) -> Markup:
    """<option>s of these agencies, the chosen one selected, every value escaped. Built here, not by a
    template loop: a national directory lists ~1,200 agencies on every request and the loop took 7 ms
    of it (this, 3)."""
    name = "name_en" if lang == "en" else "name_vi"
    return Markup("".join(
        f'<option value="{escape(a.code)}"{" selected" if a.code == chosen else ""}>{escape(getattr(a, name))}</option>'
        for a in agencies))


@router.get("/overdue", dependencies=[Depends(staff)], openapi_extra=FILTERS)
def overdue(request: Request):
    flt = read_filter(request)
    with Session(context_of(request).engine) as session:
        result = overdue_page(session, now=plan_now(request), flt=flt, page=int_param(request, "page", 1))
        agencies = agencies_with_tasks(session)
        districts = [a for a in agencies if a.kind == AgencyKind.DISTRICT]
        section_list = sections(session)
        plans = plan_codes(session)
        focal = focal_names(session, plan_now(request).date(), {i.agency_code for i in result.items})
    return page(request, "overdue.html", result=result, flt=flt, agencies=agencies, districts=districts, plans=plans,
                focal=focal, sort_link=lambda sort: "/overdue?" + _query(replace(flt, sort=sort)),
                agency_options=agency_options,
                sections=section_list, sorts=SORTS, query=_query(flt),
                page_link=lambda n: "/overdue?" + _query(flt, page=n))


def focal_names(session: Session, day, only: set[str] | None = None) -> dict[str, str]:
    """Agency code -> its focal points on `day` ("Name <email>", those who read its reminders); of the
    agencies `only` names, or of all."""
    from models.agency import Agency
    from models.directory import readers_by_agency
    statement = select(Agency.id, Agency.code)
    if only is not None:
        statement = statement.where(Agency.code.in_(only or {""}))
    codes = dict(session.exec(statement).all())
    return {codes[agency_id]: "; ".join(f"{p.name} <{p.email}>" for p in people)
            for agency_id, people in readers_by_agency(session, day, agency_ids=set(codes)).items()
            if agency_id in codes}


def _rows(request: Request) -> tuple[list[list], bool]:
    """The export's rows (dates as dates, the focal points last), and whether they start with the plan
    (several plans loaded)."""
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        items = overdue_all(session, now=now, flt=read_filter(request))
        with_plan = len(plan_codes(session)) > 1
        focal = focal_names(session, now.date())
    label = StatusCategory.OPEN_OVERDUE.label_vi
    return [[i.plan] * with_plan + [i.ref, i.title, i.section, i.agency_vi, i.due, i.days_overdue, label,
                                    "" if i.percent is None else i.percent, i.note or "",
                                    focal.get(i.agency_code, "")]
            for i in items], with_plan


def _filename(request: Request, extension: str) -> str:
    return f"qua-han-{plan_now(request).date():%Y-%m-%d}.{extension}"


@router.get("/overdue.csv", dependencies=[Depends(staff)], openapi_extra=FILTERS)
def overdue_csv(request: Request):
    try:  # sep=semicolon for Excel on a Windows set to Vietnamese (the comma is its decimal mark)
        separator = exports.separator_of(request.query_params.get("sep"))
    except ValueError:
        separator = ","
    rows, with_plan = _rows(request)
    return Response(exports.overdue_csv(rows, separator, with_plan=with_plan), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(request, "csv")}"'})


@router.get("/overdue.xlsx", dependencies=[Depends(staff)], openapi_extra=FILTERS)
def overdue_xlsx(request: Request):
    rows, with_plan = _rows(request)
    return Response(exports.overdue_xlsx(rows, with_plan=with_plan),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(request, "xlsx")}"'})
