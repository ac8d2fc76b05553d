"""The `dondoc` command. Each group of subcommands lives in its own module."""
import functools
import sys
from datetime import date, datetime

import typer
from sqlalchemy.exc import OperationalError

from config.errors import InputError, ServiceUnavailable
from config.settings import get_settings
from dondoc.context import AppContext

app = typer.Typer(
    help="dondoc: track a plan's duties as tasks with owners and deadlines; remind; collect the yearly review.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)


@app.callback()
def _context(ctx: typer.Context) -> None:
    if ctx.obj is None:
        ctx.obj = AppContext(get_settings())
    ctx.call_on_close(ctx.obj.close)


def handles_errors(command):
    """Bad input becomes one clear line on stderr and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except OperationalError as exc:
            typer.echo(f"error: the database did not answer: {exc.orig}", err=True)
            raise typer.Exit(1) from None
        except ServiceUnavailable as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def parse_day(value) -> date | None:
    """--today and friends: YYYY-MM-DD."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None


TodayOption = typer.Option(None, "--today", help="Pretend today is this date (YYYY-MM-DD, Asia/Ho_Chi_Minh).",
                           callback=parse_day, metavar="YYYY-MM-DD")


def main() -> None:
    app()


from dondoc.cli import agencies, demo, inbox, plan, remind, report, review, serve, summary, tasks, users, web  # noqa: E402,F401  (they register their commands on `app`)
