"""The front page: each person goes to their own starting page."""
from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse

from dondoc.web.access import User, signed_in

router = APIRouter()


@router.get("/")
def home(user: User = Depends(signed_in)):
    return RedirectResponse("/overview" if user.is_staff else "/my", status_code=303)
