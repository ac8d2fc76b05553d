"""The `dondoc` command. Each group of subcommands lives in its own module."""
import functools
import sys
from datetime import date, datetime

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from config.errors import InputError, ServiceUnavailable
from config.limits import EARLIEST_DAY, LATEST_DAY
from config.settings import get_settings
from dondoc.context import AppContext

app = typer.Typer(
    help="dondoc: track a plan's duties as tasks with owners and deadlines; remind; collect the yearly review.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)


@app.callback()
def _context(ctx: typer.Context) -> None:
    if ctx.obj is None:
        try:
            ctx.obj = AppContext(get_settings())
        except ValidationError as exc:  # a DONDOC_* variable that is not of its type
            first = exc.errors()[0]
            name = "DONDOC_" + str(first["loc"][0]).upper() if first["loc"] else "DONDOC_*"
            typer.echo(f"error: {name}: {first['msg']}", err=True)
            raise typer.Exit(2) from None
    ctx.call_on_close(ctx.obj.close)
    settings = ctx.obj.settings
    if settings.production and settings.today is not None:
        typer.echo(f"error: DONDOC_TODAY: {settings.refusals()[-1]}", err=True)
        raise typer.Exit(2)


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
        except OSError as exc:  # a folder that cannot be written (read-only, full, not a folder)
            where = f"{exc.filename}: " if exc.filename else ""
            typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def parse_day(value) -> date | None:
    """--today and friends: YYYY-MM-DD, within EARLIEST_DAY..LATEST_DAY (a plan's calendar, not
    the year 9999, whose next day does not exist)."""
    if value is None or isinstance(value, date):
        value = value.date() if isinstance(value, datetime) else value
    else:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise typer.BadParameter(f"{value.isoformat()} is outside the dates dondoc works with "
                                 f"({EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})")
    return value


TodayOption = typer.Option(None, "--today", help="Pretend today is this date (YYYY-MM-DD, Asia/Ho_Chi_Minh).",
                           callback=parse_day, metavar="YYYY-MM-DD")


def main(argv: list[str] | None = None) -> None:
    """The `dondoc` command. A wrong option value is one line on stderr and exit code 2 (not click's
    usage box), like every other bad input."""
    from typer._click import exceptions as click  # typer's own copy of click, whose errors these are

    try:
        code = app(args=argv, prog_name="dondoc", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(2)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "dondoc"
        typer.echo(f"error: {exc.format_message()} (see {command} --help)", err=True)
        sys.exit(2)
    except click.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


from dondoc.cli import agencies, demo, inbox, plan, remind, report, review, serve, summary, tasks, users, web  # noqa: E402,F401  (they register their commands on `app`)
from dondoc.cli import task_work  # noqa: E402,F401  (registers task extend|decide|return|explain|answer)
from dondoc.cli import task_files  # noqa: E402,F401  (registers task reassign|attach|files|contribute)
