"""dondoc plan load: the agency directory and a plan file into the database.
dondoc plan parse: a plan's text into a plan file."""
from enum import Enum
from pathlib import Path

import typer

from config.errors import InputError
from config.files import read_agency_file, read_bytes, read_plan_file
from config.policy import read_policy
from dondoc.cli import app, handles_errors
from models.db import transaction
from models.loading import load_agencies, load_plan
from models.plan_parser import ParseWarning, decode_plan, parse_plan
from models.plan_parser.output import json_text, yaml_text

plan_app = typer.Typer(help="Plans: read a plan's text into a plan file; load a reviewed plan file.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("load")
@handles_errors
def load(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A plan file (YAML), e.g. config/plans/bac-kan-2015-2020.yaml"),
    agencies: Path = typer.Option(None, help="The agency directory (default: DONDOC_AGENCIES_FILE or config/agencies.yaml)."),
) -> None:
    """Load (or update) a plan and the agency directory. Loading twice changes nothing."""
    context = ctx.obj
    agency_path = agencies or context.settings.agencies_file
    directory = read_agency_file(agency_path)
    plan_file, lines = read_plan_file(file)
    policy = read_policy(context.settings.policy_file)
    now = context.clock().now()
    with transaction(context.engine) as session:
        report = load_agencies(session, directory, at=now, actor=context.actor)
        load_plan(session, plan_file, lines, directory, path=file, policy=policy.due_dates,
                  at=now, actor=context.actor, report=report)
    if not report.changed:
        typer.echo(f"Plan {plan_file.plan.code}: already up to date, nothing changed.")
        return
    typer.echo(
        f"Plan {plan_file.plan.code}: {report.tasks_created} tasks created, {report.tasks_updated} updated, "
        f"{report.tasks_retired} retired; {report.occurrences_created} due dates added, "
        f"{report.occurrences_removed} removed; {report.agencies_changed} directory changes."
    )


class ParseFormat(str, Enum):
    yaml = "yaml"
    json = "json"


@plan_app.command("parse")
@handles_errors
def parse(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A plan's text (.txt, UTF-8; Windows-1258 is read with a warning)."),
    fmt: ParseFormat = typer.Option(ParseFormat.yaml, "--format", help="yaml (a plan file for `plan load`) or json."),
    agencies: Path = typer.Option(None, help="The agency directory (default: DONDOC_AGENCIES_FILE or config/agencies.yaml)."),
) -> None:
    """Read a plan's text into a plan file: refs, leads, coordinators, deadlines. Review it, then `plan load` it."""
    context = ctx.obj
    directory = read_agency_file(agencies or context.settings.agencies_file)
    policy = read_policy(context.settings.policy_file)
    raw = read_bytes(file)  # at most MAX_INPUT_FILE_BYTES
    try:
        text, decoding_warnings = decode_plan(raw, path=file)
        parsed = parse_plan(text, directory, policy)
    except InputError as exc:
        exc.path = exc.path or file
        raise
    parsed.warnings[:0] = [ParseWarning(None, message) for message in decoding_warnings]
    for warning in parsed.warnings:
        where = f"{file}:{warning.line}" if warning.line else str(file)
        typer.echo(f"{where}: warning: {warning.message}", err=True)
    typer.echo(json_text(parsed) if fmt is ParseFormat.json else yaml_text(parsed, source=file), nl=False)
