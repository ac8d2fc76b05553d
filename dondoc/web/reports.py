"""Periodic reports for Alliance staff (/reports): pick a quarter, half year or year and download the
báo cáo tình hình thực hiện (.docx, .xlsx) as of the page's day, the same document `dondoc report`
writes."""
import io
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from config.errors import InputError
from config.organization import read_organization
from config.targets import load_targets
from dondoc.web import context_of, page, plan_now
from dondoc.web.access import staff
from models.clock import local_date
from models.review.operations import find_plan
from models.status import period_window

router = APIRouter()
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/reports", dependencies=[Depends(staff)])
def reports(request: Request):
    today = local_date(plan_now(request))
    years = list(range(today.year, today.year - 6, -1))
    return page(request, "reports.html", years=years)


@router.get("/reports/download", dependencies=[Depends(staff)])
def download(request: Request, period: str = Query(..., max_length=10), format: Literal["docx", "xlsx"] = "docx"):
    from dondoc.documents.bao_cao import docx_document, workbook
    from dondoc.documents.report_content import build_periodic

    try:
        window = period_window(period)
    except InputError as error:
        raise HTTPException(422, error.message) from None
    if window.start is None:
        raise HTTPException(422, "name a period")
    context = context_of(request)
    now = plan_now(request)
    with Session(context.engine) as session:
        try:
            plan = find_plan(session, None)
        except InputError as error:
            raise HTTPException(404, error.message) from None
        content = build_periodic(session, plan, window, now=now, targets=load_targets(plan.code, None))
    organization = read_organization(context.settings.organization_file)
    data = io.BytesIO()
    (docx_document if format == "docx" else workbook)(content, organization).save(data)
    name = f"bao-cao-tinh-hinh-{period.lower()}-{local_date(now):%Y-%m-%d}.{format}"
    return Response(data.getvalue(), media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
