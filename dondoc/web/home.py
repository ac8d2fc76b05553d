"""The front page."""
from fastapi import APIRouter, Request

from dondoc.web import page

router = APIRouter()


@router.get("/")
def home(request: Request):
    return page(request, "home.html")
