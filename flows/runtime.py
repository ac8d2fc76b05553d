"""The application context flows run with: the one the CLI set, or one built from the environment
(a Prefect worker running a deployment)."""
from config.settings import get_settings
from dondoc.context import AppContext

_current: AppContext | None = None


def use(context: AppContext | None) -> None:
    global _current
    _current = context


def current() -> AppContext:
    global _current
    if _current is None:
        _current = AppContext(get_settings())
    return _current
