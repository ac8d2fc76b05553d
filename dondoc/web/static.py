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
