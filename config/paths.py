"""Where dondoc keeps its files, found the same way from any directory, without loading the settings
(so `dondoc --help` can name the database at no cost).

The search order, first match wins:
1. DONDOC_DATABASE_URL, when set: that database (SQLite file or PostgreSQL).
2. DONDOC_DATA_DIR, when set: SQLite at <DONDOC_DATA_DIR>/dondoc.db (its outbox and reports beside it).
3. The user's data folder: $XDG_DATA_HOME/dondoc, else ~/.local/share/dondoc. `make run` (the demo)
   fills this one, so the commands typed after it read the demo's data.
"""
import os
import re
from pathlib import Path


def default_data_dir() -> Path:
    """The user's data folder for dondoc (used when DONDOC_DATA_DIR is not set)."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share") / "dondoc"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / 'dondoc.db').as_posix()}"


def without_password(url: str) -> str:
    """A database URL fit to print: the password, if any, replaced by ***."""
    return re.sub(r"^([a-z0-9+]+://[^:/@]*:)[^@]*@", r"\1***@", url)


def database_from_environment(environ=os.environ) -> str:
    """The database the commands will use, as `dondoc --help` shows it (the password hidden)."""
    url = environ.get("DONDOC_DATABASE_URL", "").strip()
    if url:
        return without_password(url)
    data_dir = environ.get("DONDOC_DATA_DIR", "").strip()
    return sqlite_url(Path(data_dir) if data_dir else default_data_dir())
