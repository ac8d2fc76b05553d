"""Writing a document people receive: each file written whole under a temporary name, then renamed
(a reader never sees half a report); dates as Vietnamese readers write them."""
import os
from datetime import date, datetime
from pathlib import Path

from models.review import vn_moment


def show_date(value) -> str:
    if isinstance(value, datetime):
        value = vn_moment(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, (date, datetime)) else ("" if value is None else str(value))


def write_atomically(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
