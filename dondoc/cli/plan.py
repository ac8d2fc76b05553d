"""dondoc plan load: the agency directory and a plan file into the database.
dondoc plan parse: a plan's text into a plan file."""
from enum import Enum
from pathlib import Path

import typer

from config.errors import InputError
from config.files import read_agency_file, read_bytes, read_plan_file
from config.policy import read_policy
from dondoc.cli import app, handles_errors, say
from dondoc.cli.output import language, show_date
from models.db import transaction
from models.loading import load_agencies, load_plan
from models.plan_parser import ParseWarning, parse_plan, read_document
from models.plan_parser.output import json_text, yaml_text

plan_app = typer.Typer(help="Plans: read a plan's text into a plan file; load a reviewed plan file.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("load")
@handles_errors
def load(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A plan file (YAML), e.g. config/plans/bac-kan-2015-2020.yaml"),
    agencies: Path = typer.Option(None, help="Also import this agency directory first, as `dondoc agencies import "
                                             "FILE --apply` (what was changed in the app is left alone)."),
) -> None:
    """Load (or update) a plan. Loading twice changes nothing. The agency directory lives in the database
    (`dondoc agencies ...`); on an empty one the default directory file is imported first."""
    from sqlmodel import select

    from models.agency import Agency
    from models.directory import export_file

    context = ctx.obj
    plan_file, lines = read_plan_file(file)
    policy = read_policy(context.settings.policy_file)
    now = context.clock().now()
    notes = []
    with transaction(context.engine) as session:
        report = None
        empty = session.exec(select(Agency.id).limit(1)).first() is None
        if agencies is not None or empty:
            agency_path = agencies or context.settings.agencies_file
            directory_file = read_agency_file(agency_path)
            report = load_agencies(session, directory_file, at=now, actor=context.actor,
                                   province=plan_file.plan.province)
            notes.append(say(f"Danh bạ cơ quan: đã nhập {agency_path}" + (" (danh bạ đang trống)" if empty else "")
                             + f", {report.agencies_changed} thay đổi.",
                             f"Agency directory: imported {agency_path}" + (" (the directory was empty)" if empty else "")
                             + f", {report.agencies_changed} changes."))
        directory = export_file(session)
        report = load_plan(session, plan_file, lines, directory, path=file, policy=policy.due_dates,
                           at=now, actor=context.actor, report=report)
        province = plan_file.plan.province
        if province:  # each province has its own directory: a plan names agencies of its own
            from models.plan import Plan, Task
            others = session.exec(select(Agency.code, Agency.province).distinct()
                                  .join(Task, Task.lead_agency_id == Agency.id).join(Plan, Plan.id == Task.plan_id)
                                  .where(Plan.code == plan_file.plan.code, Task.retired == False,  # noqa: E712
                                         Agency.province != "", Agency.province != province)
                                  .order_by(Agency.code)).all()
            from config.errors import Said
            report.warnings.extend(Said(f"the plan is {province}'s but its lead {code} belongs to {where}",
                                        vi=f"kế hoạch của {province} nhưng cơ quan chủ trì {code} thuộc {where}")
                                   for code, where in others)
    for note in notes:
        typer.echo(note)
    from config.errors import in_language
    for warning in report.warnings:
        typer.echo(f"{file}: " + say("cảnh báo: ", "warning: ") + in_language(warning, language()), err=True)
    if not report.changed:
        typer.echo(say(f"Kế hoạch {plan_file.plan.code}: đã cập nhật sẵn, không có gì thay đổi.",
                       f"Plan {plan_file.plan.code}: already up to date, nothing changed."))
        return
    typer.echo(_plan_summary(plan_file.plan.code, report) + ".")


def _plan_summary(code: str, report) -> str:
    """What loading a plan changed, in the CLI's language (without the final full stop)."""
    return say(
        f"Kế hoạch {code}: {report.tasks_created} nhiệm vụ mới, {report.tasks_updated} sửa, "
        f"{report.tasks_retired} bỏ; {report.occurrences_created} kỳ hạn thêm, {report.occurrences_removed} bớt",
        f"Plan {code}: {report.tasks_created} tasks created, {report.tasks_updated} updated, "
        f"{report.tasks_retired} retired; {report.occurrences_created} due dates added, "
        f"{report.occurrences_removed} removed")


def _warnings(entry: dict) -> list[str]:
    """A draft's (or one duty's) warnings in the CLI's language: "warnings_vi" holds the Vietnamese
    (a draft saved before it had them: the English)."""
    if language() == "vi" and "warnings_vi" in entry:
        return entry["warnings_vi"]
    return entry["warnings"]


class ParseFormat(str, Enum):
    yaml = "yaml"
    json = "json"


@plan_app.command("parse")
@handles_errors
def parse(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A plan: .docx, .pdf with a text layer, or text (.txt, UTF-8; "
                                               "Windows-1258 is read with a warning)."),
    fmt: ParseFormat = typer.Option(ParseFormat.yaml, "--format", help="yaml (a plan file for `plan load`) or json."),
    agencies: Path = typer.Option(None, help="Match against this directory file instead of the database's "
                                             "(default: the database directory of the plan's province)."),
) -> None:
    """Read a plan's text into a plan file: refs, leads, coordinators, deadlines. Review it, then `plan load` it.
    Agency names are matched against the directory of the plan's province only; those it lacks are listed."""
    from sqlmodel import Session

    from models.plan_import import directory_file_for, matching_directory

    context = ctx.obj
    given = read_agency_file(agencies) if agencies else None
    policy = read_policy(context.settings.policy_file)
    raw = read_bytes(file)  # at most MAX_INPUT_FILE_BYTES
    with Session(context.engine) as session:
        directory_file = directory_file_for(session, given, context.settings.agencies_file)
        try:
            document = read_document(raw, path=file)
            decoding_warnings = list(document.warnings)
            parsed = parse_plan(document, lambda province: matching_directory(session, province, directory_file),
                                policy)
        except InputError as exc:
            exc.path = exc.path or file
            raise
    parsed.warnings[:0] = [ParseWarning(None, message) for message in decoding_warnings]
    from config.errors import in_language
    for warning in parsed.warnings:
        where = f"{file}:{warning.line}" if warning.line else str(file)
        typer.echo(f"{where}: " + say("cảnh báo: ", "warning: ") + in_language(warning.message, language()), err=True)
    _say_unmatched(file, parsed, directory_file is None and not agencies)
    typer.echo(json_text(parsed) if fmt is ParseFormat.json else yaml_text(parsed, source=file), nl=False)


def _say_unmatched(file: Path, parsed, from_database: bool) -> None:
    """The names the plan's province's directory lacks, listed once at the end, with what to do."""
    from models.plan_import import unmatched_message

    names = list(dict.fromkeys(
        name for task in parsed.tasks
        for name, code in [(task.lead, task.lead_code), *zip(task.coordinating, task.coordinating_codes)]
        if name and code is None))
    if not parsed.province:
        typer.echo(f"{file}: " + say("cảnh báo: kế hoạch không nêu tỉnh: đã đối chiếu với danh bạ của mọi tỉnh",
                                     "warning: the plan names no province: matched against every province's directory"),
                   err=True)
    if names:
        typer.echo(f"{file}: " + say("cảnh báo: ", "warning: ") + unmatched_message(names, parsed.province, language()),
                   err=True)
    elif from_database:
        where_vi = f"danh bạ của {parsed.province}" if parsed.province else "danh bạ"
        where_en = f"{parsed.province}'s directory" if parsed.province else "the directory"
        typer.echo(f"{file}: " + say(f"mọi cơ quan đều có trong {where_vi}", f"every agency matched in {where_en}"),
                   err=True)


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, rest = value.rpartition("=")
        if not sep or not name.strip() or not rest.strip():
            raise InputError(f"'{value}' is not NAME=VALUE", field=option, vi=f"'{value}' không có dạng TÊN=GIÁ_TRỊ")
        pairs.append((name.strip(), rest.strip()))
    return pairs


def _dates(days) -> str:
    shown = ", ".join(d.strftime("%d/%m/%Y") for d in days[:3])
    return shown + (f" … ({len(days)})" if len(days) > 3 else "") if days else "—"


def _day(value):
    """A date kept as ISO text in a draft, as a date (to be shown dd/mm/yyyy)."""
    from datetime import date
    return date.fromisoformat(value) if isinstance(value, str) and value else value


@plan_app.command("import")
@handles_errors
def import_plan(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The plan as published: .docx, .pdf (with a text layer) or .txt."),
    map_: list[str] = typer.Option([], "--map", help="NAME=CODE: an agency the directory lacks is this code."),
    add: list[str] = typer.Option([], "--add", help="NAME=CODE[:kind[:English name]]: add the agency to the database "
                                                    "directory of the plan's province (when the plan is loaded)."),
    set_: list[str] = typer.Option([], "--set", help="REF:FIELD=VALUE: correct a duty (title, lead, coordinating, "
                                                      "timing, due, rrule, anchor, deadline_phrase, product)."),
    code: str = typer.Option(None, help="The plan's code (a plan already loaded under it is revised)."),
    yes: bool = typer.Option(False, "--yes", help="Load it. Without it the changes are shown and nothing is written."),
    agencies: Path = typer.Option(None, help="Match against this directory file, imported with the plan (default: the "
                                             "database directory of the plan's province)."),
) -> None:
    """The guided import: read a plan, show each duty beside its source with its warnings, map or add
    the agencies the directory lacks, correct fields, show what loading changes, then load (--yes)."""
    from sqlmodel import Session

    from models import plan_import as guided

    context = ctx.obj
    given = read_agency_file(agencies) if agencies else None
    policy = read_policy(context.settings.policy_file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        from config.errors import unreadable
        raise unreadable(exc, file) from None
    with Session(context.engine) as session:
        directory_file = guided.directory_file_for(session, given, context.settings.agencies_file)
        draft = guided.read_draft(raw, str(file), lambda province: guided.matching_directory(
            session, province, directory_file), policy)
        directory = guided.matching_directory(session, draft["plan"].get("province") or "", directory_file)
        if code:
            draft["plan"]["code"] = code
        for name, value in _pairs(map_, "--map"):
            guided.map_agency(draft, directory, name, value)
        for name, value in _pairs(add, "--add"):
            agency_code, _, rest = value.partition(":")
            kind, _, english = rest.partition(":")
            guided.add_agency(draft, directory, name, agency_code, english, kind or "department")
        guided.check_new_codes(session, draft)
    for target, value in _pairs(set_, "--set"):
        ref, sep, field_name = target.rpartition(":")
        if not sep:
            raise InputError(f"'{target}' is not REF:FIELD", field="--set", vi=f"'{target}' không có dạng MÃ:TRƯỜNG")
        guided.edit_task(draft, ref, field_name, value)

    plan = draft["plan"]
    typer.echo(f"{plan['title']}\nSố: {plan.get('number') or '—'} · {plan.get('issuer') or '—'} · "
               f"ngày {show_date(_day(plan.get('issued_on'))) or '—'} · mã {plan['code']}")
    for warning in _warnings(draft):
        typer.echo(f"  ! {warning}")
    for task in draft["tasks"]:
        when = task.get("due") or task.get("rrule") or task["timing"]
        typer.echo(f"\n{task['ref']}  [{task['source']['where']}]  {task['lead']}  · {task.get('deadline_phrase') or '—'} "
                   f"({when})" + (f"  · Sản phẩm: {task['product']}" if task.get("product") else ""))
        typer.echo(f"    {task['source']['text'][:200]}")
        for warning in _warnings(task):
            typer.echo(f"    ! {warning}")
    unknown = guided.unknown_agencies(draft, directory)
    if unknown:
        typer.echo("\nCơ quan chưa có trong danh bạ (--map \"TÊN=MÃ\" hoặc --add \"TÊN=MÃ\"):", err=True)
        for name in unknown:
            typer.echo(f"  {name}", err=True)
        province = plan.get("province") or ""
        raise InputError(guided.unmatched_message(unknown, province), path=file,
                         vi=guided.unmatched_message(unknown, province, "vi"))
    full = guided.directory_with(draft, directory)
    plan_file_, lines = guided.build_plan_file(draft, full)
    with Session(context.engine) as session:
        changes = guided.plan_changes(session, plan_file_, lines, full, policy.due_dates)
    if changes.exists:
        typer.echo(f"\nKế hoạch {plan['code']} đã có: nạp bản này sẽ thay đổi:")
        typer.echo(f"  thêm {len(changes.added)}: {', '.join(changes.added) or '—'}")
        typer.echo(f"  bỏ {len(changes.retired)}: {', '.join(changes.retired) or '—'}")
        for ref, old, new in changes.moved:
            typer.echo(f"  dời hạn {ref}: {_dates(old)} → {_dates(new)}")
        for ref, field_name in changes.updated:
            typer.echo(f"  sửa {ref}: {field_name}")
    else:
        typer.echo(f"\nKế hoạch mới {plan['code']}: {len(changes.added)} nhiệm vụ.")
    if not yes:
        typer.echo("Chưa nạp: chạy lại với --yes để nạp. (Nothing loaded: run again with --yes.)")
        return
    now = context.clock().now()
    with transaction(context.engine) as session:
        record = guided.PlanImport(created_at=now, created_by=context.actor, file_name=file.name, draft="")
        record.save(draft)
        session.add(record)
        report = guided.load_import(session, record, directory, policy.due_dates, at=now, actor=context.actor,
                                    import_file=directory_file)
    typer.echo(_plan_summary(plan["code"], report)
               + say(f"; {report.agencies_changed} thay đổi danh bạ.", f"; {report.agencies_changed} directory changes."))
