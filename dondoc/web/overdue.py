"""The overdue list: filter by plan, agency, district-level unit, section and days overdue; sort; pages;
CSV and XLSX exports of the same rows (written by dondoc/documents/exports.py). With several plans
loaded, each row names its plan."""
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlmodel import Session

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
                          for name in ("plan", "agency", "district", "section", "min_days", "sort", "page")]}


def read_filter(request: Request) -> OverdueFilter:
    q = request.query_params
    return OverdueFilter(agency=q.get("agency") or None, district=q.get("district") or None,
                         section=q.get("section") or None, min_days=int_param(request, "min_days", 0),
                         sort=q.get("sort") or "due", plan=q.get("plan") or None)


def _query(flt: OverdueFilter, **extra) -> str:
    values = dict(plan=flt.plan, agency=flt.agency, district=flt.district, section=flt.section,
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
    return page(request, "overdue.html", result=result, flt=flt, agencies=agencies, districts=districts, plans=plans,
                agency_options=agency_options,
                sections=section_list, sorts=SORTS, query=_query(flt),
                page_link=lambda n: "/overdue?" + _query(flt, page=n))


def _rows(request: Request) -> tuple[list[list], bool]:
    """The export's rows, and whether they start with the plan (several plans loaded)."""
    with Session(context_of(request).engine) as session:
        items = overdue_all(session, now=plan_now(request), flt=read_filter(request))
        with_plan = len(plan_codes(session)) > 1
    label = StatusCategory.OPEN_OVERDUE.label_vi
    return [[i.plan] * with_plan + [i.ref, i.title, i.section, i.agency_vi, i.due.strftime("%d/%m/%Y"),
                                    i.days_overdue, label, "" if i.percent is None else i.percent, i.note or ""]
            for i in items], with_plan


def _filename(request: Request, extension: str) -> str:
    return f"qua-han-{plan_now(request).date():%Y-%m-%d}.{extension}"


@router.get("/overdue.csv", dependencies=[Depends(staff)], openapi_extra=FILTERS)
def overdue_csv(request: Request):
    rows, with_plan = _rows(request)
    return Response(exports.overdue_csv(rows, with_plan=with_plan), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(request, "csv")}"'})


@router.get("/overdue.xlsx", dependencies=[Depends(staff)], openapi_extra=FILTERS)
def overdue_xlsx(request: Request):
    rows, with_plan = _rows(request)
    return Response(exports.overdue_xlsx(rows, with_plan=with_plan),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(request, "xlsx")}"'})
