"""The stylesheet, served from our own address: the Content-Security-Policy allows no inline style."""
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from dondoc.web.access import public

router = APIRouter()
STYLESHEET = Path(__file__).parent / "static" / "dondoc.css"


@router.get("/static/dondoc.css", dependencies=[Depends(public)])
def stylesheet():
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/static/charts.css", dependencies=[Depends(public)])
def chart_stylesheet():
    """The charts' rules (dondoc/web/charts.py), out of the SVG so that no inline style is needed."""
    from fastapi.responses import Response

    from dondoc.web.charts import stylesheet as chart_rules
    return Response(chart_rules(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
