"""The `dondoc` command. Each group of subcommands lives in its own module, imported only when one of
its commands runs (COMMANDS below): `dondoc --help` and a read command pay for what they use, not for
Prefect, the web app or the document writers. Keep module-level imports here light (tests/cli/test_command_line.py).
"""
import functools
import importlib
import sys
from datetime import date, datetime

import typer
from typer.core import TyperGroup

from config.errors import InputError, ServiceUnavailable
from config.limits import EARLIEST_DAY, LATEST_DAY

# Every top-level command and group: (the module that registers it on `app`, its one-line help as
# `dondoc --help` lists it). tests/cli/test_command_line.py holds this table equal to the modules.
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("dondoc.cli.status",
        "One screen on this installation's health: the database, its plans, the last job runs, the outbox waiting and failed, the scheduler's lease."),
    "plan": ("dondoc.cli.plan",
        "Plans: read a plan's text into a plan file; load a reviewed plan file."),
    "tasks": ("dondoc.cli.tasks",
        "Every task with its lead agency, timing and next due date."),
    "overdue": ("dondoc.cli.tasks",
        "Every occurrence past its due date and not done, worst first (what Alliance staff chase): one line "
        "per missed period (the web page folds them into one row per duty)."),
    "task": ("dondoc.cli.task_files",
        "One task: record completion or progress, show its history."),
    "summary": ("dondoc.cli.summary",
        "Duties per status category (Hoàn thành đúng hạn / quá hạn; Chưa hoàn thành trong hạn / quá hạn; Thường xuyên / không thời hạn), per agency or section, with the totals of duties, plan entries and periods."),
    "agencies": ("dondoc.cli.agencies",
        "The agency directory: list, show, import a YAML file (differences first), export."),
    "people": ("dondoc.cli.agencies",
        "Focal points: add, edit, replace, deactivate, away (a deputy covers). Each needs --reason."),
    "remind": ("dondoc.cli.remind",
        "The daily reminder job: queue today's digests and deliver the outbox."),
    "outbox": ("dondoc.cli.remind",
        "What went (or will go) to whom, failures and why."),
    "simulate": ("dondoc.cli.remind",
        "Run every daily job for each day in order, as if time passed (for demos and rehearsals). The annual review opens, chases and compiles on its dates."),
    "inbox": ("dondoc.cli.inbox",
        "Read the reply mailbox once (DONDOC_IMAP_* or DONDOC_INBOX_MAILDIR): record the replies and confirm each, mark bounced messages failed and flag their addresses; move each message to the processed folder."),
    "bounced": ("dondoc.cli.inbox",
        "The addresses whose mail bounced for good (flagged on the agency pages and the overview)."),
    "review": ("dondoc.cli.review",
        "The annual review (section 4.2): open it, see who reported, chase, take inputs, compile the báo cáo sơ kết."),
    "report": ("dondoc.cli.report",
        "Write the periodic báo cáo tình hình thực hiện (counts as of --today, by default the period's last day or today, whichever comes first)."),
    "schedule": ("dondoc.cli.serve",
        "The scheduled jobs: what runs when."),
    "serve": ("dondoc.cli.serve",
        "Run the scheduled jobs (daily reminders; the annual review's open, chase and compile) at their times in Asia/Ho_Chi_Minh, catching up what was missed while stopped, until SIGTERM or Ctrl-C."),
    "deploy": ("dondoc.cli.serve",
        "Register the scheduled flows as Prefect deployments, with the same schedules as `dondoc serve`, on the Prefect server named by PREFECT_API_URL, into a work pool that workers take runs from."),
    "web": ("dondoc.cli.web",
        "Serve the dashboard and forms."),
    "user": ("dondoc.cli.users",
        "Alliance staff accounts for the web dashboard."),
    "demo": ("dondoc.cli.demo",
        "Run the main job on a fresh demo database in the data folder, printing each command it runs."),
}


# The headings click writes in help, in Vietnamese (the commands' and options' own help is as written).
_HEADINGS_VI = {"Options": "Tùy chọn", "Arguments": "Đối số", "Commands": "Lệnh"}
# What click adds to an option's help: --help's own line, and the bracket at the end ("[default: 200]",
# "[required]", "[env var: X; default: 5; required]"), in Vietnamese.
_HELP_OPTION_VI = ("Show this message and exit.", "Hiện trợ giúp này rồi thoát.")
_EXTRA_VI = (("default: ", "mặc định: "), ("env var: ", "biến môi trường: "))
_EXTRA_WORDS_VI = {"required": "bắt buộc"}


def _help_text_vi(text: str) -> str:
    """One option's help as click wrote it, click's own words said in Vietnamese."""
    if text == _HELP_OPTION_VI[0]:
        return _HELP_OPTION_VI[1]
    if not text.endswith("]") or "[" not in text:
        return text
    head, _, bracket = text[:-1].rpartition("[")
    parts = []
    for part in bracket.split("; "):
        for english, vietnamese in _EXTRA_VI:
            if part.startswith(english):
                part = vietnamese + part.removeprefix(english)
        parts.append(_EXTRA_WORDS_VI.get(part, part))
    return f"{head}[{'; '.join(parts)}]"


class SpeakingContext(typer.Context):
    """Help's own words ("Usage:", the section headings) in the CLI's language: typer's copy of click
    writes them in English, and not through gettext."""

    def make_formatter(self):
        formatter = super().make_formatter()
        if cli_language() == "vi":
            write_usage, write_heading = formatter.write_usage, formatter.write_heading
            formatter.write_usage = lambda prog, args="", prefix=None: write_usage(
                prog, args, "Cách dùng: " if prefix is None else prefix)
            formatter.write_heading = lambda heading: write_heading(_HEADINGS_VI.get(heading, heading))
            write_dl = formatter.write_dl
            formatter.write_dl = lambda rows, *args, **kwargs: write_dl(
                [(term, _help_text_vi(text)) for term, text in rows], *args, **kwargs)
        return formatter


def _speaking(command):
    """`command` and the commands under it, their help in the CLI's language (SpeakingContext)."""
    command.context_class = SpeakingContext
    for sub in getattr(command, "commands", {}).values():
        _speaking(sub)
    return command


class LazyGroup(TyperGroup):
    """The root group: lists COMMANDS without importing them; imports a command's module when it runs."""

    context_class = SpeakingContext
    listing = False  # while `--help` is drawn: the table's one-liners are enough

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS) + [name for name in self.commands if name not in COMMANDS]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, summary = COMMANDS[cmd_name]
        if self.listing and cmd_name not in self.commands:
            return typer.core.TyperCommand(name=cmd_name, help=summary, short_help=summary)
        if module not in sys.modules or cmd_name not in self.commands:
            # (Re)built once its module is in: a group registered by one module may get commands from
            # another (`task`: dondoc.cli.tasks, dondoc.cli.task_work, then dondoc.cli.task_files).
            importlib.import_module(module)
            command = _click_command(cmd_name)
            if command is not None:
                self.commands[cmd_name] = _speaking(command)
        _collect_from_now_on()
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS and name not in self.commands:
            from config.errors import did_you_mean
            known = self.list_commands(ctx)
            ctx.fail(say(f"không có lệnh '{name}'{did_you_mean(name, known, 'vi')}.",
                         f"No such command '{name}'{did_you_mean(name, known)}."))
        return super().resolve_command(ctx, args)

    def format_help(self, ctx, formatter) -> None:
        from config.paths import database_from_environment
        self.epilog = f"Cơ sở dữ liệu / database: {database_from_environment()}  (dondoc status)"
        self.listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self.listing = False


def _click_command(name: str):
    """The click command typer builds for `name`, once its module has registered it on `app`."""
    from typer.main import get_command_from_info, get_group_from_info
    for info in app.registered_commands:
        if (info.name or info.callback.__name__.replace("_", "-")) == name:
            return get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                         rich_markup_mode=app.rich_markup_mode)
    for info in app.registered_groups:
        if info.name == name:
            return get_group_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                       rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands)
    return None


def load_all() -> None:
    """Import every command module (for tests and tools that walk the whole command tree)."""
    for module, _ in COMMANDS.values():
        importlib.import_module(module)


app = typer.Typer(
    help="dondoc: track a plan's duties as tasks with owners and deadlines; remind; collect the yearly review.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, cls=LazyGroup,
    rich_markup_mode=None,  # plain help: rich's help formatter alone costs a third of `import sqlalchemy`
)


@app.callback()
def _context(ctx: typer.Context) -> None:
    if ctx.obj is None:
        from pydantic import ValidationError

        from config.settings import get_settings
        from dondoc.app.context import AppContext
        try:
            ctx.obj = AppContext(get_settings())
        except ValidationError as exc:  # a DONDOC_* variable that is not of its type
            from config.errors import validation_texts
            first = exc.errors()[0]
            name = "DONDOC_" + str(first["loc"][0]).upper() if first["loc"] else "DONDOC_*"
            english, vietnamese = validation_texts(first)
            typer.echo(say(f"lỗi: {name}: {vietnamese}", f"error: {name}: {english}"), err=True)
            raise typer.Exit(2) from None
    ctx.call_on_close(ctx.obj.close)
    settings = ctx.obj.settings
    if settings.production and settings.today is not None:
        typer.echo(say("lỗi: ", "error: ") + f"DONDOC_TODAY: {settings.refusals(cli_language())[-1]}", err=True)
        raise typer.Exit(2)


def handles_errors(command):
    """Bad input becomes one clear line on stderr and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            typer.echo(say("lỗi: ", "error: ") + exc.in_language(cli_language()), err=True)
            raise typer.Exit(2) from None
        except ServiceUnavailable as exc:
            typer.echo(say("lỗi: ", "error: ") + exc.in_language(cli_language()), err=True)
            raise typer.Exit(1) from None
        except OSError as exc:  # a folder that cannot be written (read-only, full, not a folder)
            from config.errors import os_reason
            where = f"{exc.filename}: " if exc.filename else ""
            typer.echo(say("lỗi: ", "error: ") + f"{where}{os_reason(exc, cli_language())}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:  # Ctrl-C in a plain command: its transaction was rolled back on the way out
            typer.echo(say("Đã dừng (Ctrl-C): thay đổi đang làm dở không được lưu; những gì đã lưu trước đó vẫn giữ nguyên.",
                           "Stopped (Ctrl-C): the change under way was not saved; what was saved before stays."), err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            from sqlalchemy.exc import OperationalError  # imported here: the command has loaded it already
            if isinstance(exc, OperationalError):
                typer.echo(say("lỗi: cơ sở dữ liệu không trả lời: ", "error: the database did not answer: ") + str(exc.orig),
                           err=True)
                raise typer.Exit(1) from None
            raise

    return wrapper


def cli_language() -> str:
    """The CLI's language: DONDOC_LANGUAGE (vi, the default, or en)."""
    import os
    return "en" if os.environ.get("DONDOC_LANGUAGE", "vi").strip().lower() == "en" else "vi"


def say(vi: str, en: str) -> str:
    """A message in the CLI's language."""
    return en if cli_language() == "en" else vi


def say_number(value) -> str:
    """A count as the CLI's language writes it: 1.234 (vi), 1,234 (en)."""
    from models.numbers import number
    return number(value, cli_language())


DATE_METAVAR = "DD/MM/YYYY"
DATE_FORMATS = "dd/mm/yyyy (15/01/2016) or yyyy-mm-dd (2016-01-15)"


def read_day(text: str) -> date:
    """A date as people write it: dd/mm/yyyy (also d/m/yyyy) or YYYY-MM-DD. ValueError otherwise."""
    text = text.strip()
    if "/" in text:
        day, month, year = (int(part) for part in text.split("/"))  # ValueError unless three numbers
        if len(text.split("/")[2]) != 4:
            raise ValueError("the year has four digits")
        return date(year, month, day)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text)
    raise ValueError("not a date")


def parse_day(value) -> date | None:
    """--today and every other date option: dd/mm/yyyy or YYYY-MM-DD, within EARLIEST_DAY..LATEST_DAY
    (a plan's calendar, not the year 9999, whose next day does not exist)."""
    if value is None or isinstance(value, date):
        value = value.date() if isinstance(value, datetime) else value
    else:
        try:
            value = read_day(value)
        except ValueError:
            raise typer.BadParameter(say(f"'{value}' không phải ngày: viết dd/mm/yyyy (15/01/2016) hoặc yyyy-mm-dd (2016-01-15)",
                                         f"'{value}' is not a date: write it as {DATE_FORMATS}")) from None
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise typer.BadParameter(say(f"{value:%d/%m/%Y} nằm ngoài khoảng ngày dondoc làm việc "
                                     f"({EARLIEST_DAY:%d/%m/%Y} đến {LATEST_DAY:%d/%m/%Y})",
                                     f"{value:%d/%m/%Y} is outside the dates dondoc works with "
                                     f"({EARLIEST_DAY:%d/%m/%Y} to {LATEST_DAY:%d/%m/%Y})"))
    return value


TodayOption = typer.Option(None, "--today", help="Pretend today is this date (dd/mm/yyyy or YYYY-MM-DD, Asia/Ho_Chi_Minh).",
                           parser=parse_day, metavar=DATE_METAVAR)

_option_type = typer.core.TyperOption.display_type_rich


def _no_type_for_flags(self, ctx):
    """Help shows a flag (--dry-run, --help) without a type column (typer would say <bool>)."""
    return None if self.is_flag else _option_type(self, ctx)


typer.core.TyperOption.display_type_rich = _no_type_for_flags


# The `dondoc` process does not run Python's cycle collector while it imports (typer, pydantic,
# SQLAlchemy, the command's module): those objects live as long as the process, yet each full collection
# walked them all again, and once more at exit (~0.3x of `import sqlalchemy` for every command, issue 23).
# Once the command's module is in they are frozen (gc.freeze: left out of every collection) and the
# collector runs as usual for the command's own work, however long it runs (serve, web, simulate).
_collection_deferred = False


def _defer_collection() -> None:
    global _collection_deferred
    import gc
    gc.disable()
    _collection_deferred = True


def _collect_from_now_on() -> None:
    global _collection_deferred
    if _collection_deferred:
        import gc
        _collection_deferred = False
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> None:
    """The `dondoc` command. A wrong option value is one line on stderr and exit code 2 (not click's
    usage box), like every other bad input. The process itself (no `argv`: the installed command,
    `python -m dondoc.cli`) defers the cycle collector while it starts; a caller passing `argv` (tests)
    keeps its collector as it is."""
    from typer._click import exceptions as click  # typer's own copy of click, whose errors these are

    if argv is None:
        _defer_collection()
    try:
        code = app(args=argv, prog_name="dondoc", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(2)
    except click.UsageError as exc:
        from dondoc.cli.usage import usage_message  # only when a usage error is shown
        command = exc.ctx.command_path if exc.ctx else "dondoc"
        said = usage_message(exc, cli_language())
        typer.echo(say(f"lỗi: {said} (xem {command} --help)", f"error: {said} (see {command} --help)"), err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo(say("Đã hủy.", "Aborted."), err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # before a command started (typer turns one inside a command into exit 130)
        typer.echo(say("Đã dừng (Ctrl-C).", "Stopped (Ctrl-C)."), err=True)
        sys.exit(130)
    finally:
        _collect_from_now_on()  # --help, a usage error: no command ran, the collector is back all the same
    interrupt = sys.modules.get("dondoc.app.interrupt")
    if code == 130 and interrupt is not None and interrupt.requested():
        interrupt.exit_now(130)  # a flow's work stopped by Ctrl-C and said so: leave now, not seconds later
    sys.exit(code if isinstance(code, int) else 0)

