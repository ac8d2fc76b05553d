"""The application context flows run with: the one the CLI set, or one built from the environment
(a Prefect worker running a deployment)."""
from config.settings import get_settings
from dondoc.app.context import AppContext

_current: AppContext | None = None


def use(context: AppContext | None) -> None:
    global _current
    _current = context


def current() -> AppContext:
    global _current
    if _current is None:
        _current = AppContext(get_settings())
    return _current


def not_bad_input(_task, _task_run, state) -> bool:
    """A task's retry condition: retry a failure of the moment (the database, the network), never a
    refusal of the input (an InputError would fail the same way again)."""
    from config.errors import InputError
    try:
        state.result()
    except InputError:
        return False
    except Exception:
        return True
    return False
