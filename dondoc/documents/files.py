"""Writing a document people receive: each file written whole under a temporary name, then renamed
(a reader never sees half a report); dates as Vietnamese readers write them."""
import os
from datetime import date, datetime
from pathlib import Path

from config.errors import InputError, os_reason
from models.clock import vn_time


def show_date(value) -> str:
    if isinstance(value, datetime):
        value = vn_time(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, (date, datetime)) else ("" if value is None else str(value))


def unwritable(exc: OSError, path: Path, field: str = "--out") -> InputError:
    """The refusal of a file that cannot be written, with the system's reason, in both languages."""
    return InputError(f"cannot be written ({os_reason(exc)})", path=path, field=field,
                      vi=f"không ghi được ({os_reason(exc, 'vi')})")


def check_writable(path: Path) -> None:
    """Refuse, before any work, a file that cannot be written there (a folder that cannot be made
    or written, a path through a file, a full disk): InputError naming it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.with_name(f".{path.name}.{os.getpid()}.probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise unwritable(exc, path) from None


def write_atomically(path: Path, write) -> None:
    """Written whole under a temporary name, then renamed: never a half-written file under `path`.
    A failure to write is an InputError naming the file."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        temporary.replace(path)
    except OSError as exc:
        raise unwritable(exc, path) from None
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
