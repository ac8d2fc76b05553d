"""dondoc agencies list|show|import|export and dondoc people add|edit|replace|deactivate|away: the
agency directory, which lives in the database (models/directory.py); every change audited with who and why."""
from datetime import date
from pathlib import Path

import importlib

import typer

from config.errors import InputError
from dondoc.cli import TodayOption, app, handles_errors, parse_day, say
from dondoc.cli.output import Format, emit, language, show_date
from models.clock import local_date, vn_time
from models.db import transaction


class _OnFirstUse:
    """A module imported when a name of it is first read: `agencies list` reads the plain tables
    (models/core.py) and never pays for the directory's rules and the table classes (issue 23)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


people_ops = _OnFirstUse("models.directory")

agencies_app = typer.Typer(help="The agency directory: list, show, import a YAML file (differences first), export.",
                           no_args_is_help=True)
people_app = typer.Typer(help="Focal points: add, edit, replace, deactivate, away (a deputy covers). Each needs --reason.",
                         no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
app.add_typer(people_app, name="people")

FormatOption = typer.Option(Format.table, "--format", help="table, json or csv.")


def _no_such_province(province: str, known: str) -> InputError:
    return InputError(f"no agency of the province {province} (the directory's provinces: {known or 'none'})",
                      field="--province",
                      vi=f"không có cơ quan nào của tỉnh {province} (các tỉnh trong danh bạ: {known or 'chưa có'})")
DayOption = typer.Option(None, "--from", parser=parse_day, metavar="DD/MM/YYYY",
                         help="Effective from this day (default: today).")


def _deputies(context) -> str:
    from config.policy import read_policy
    return read_policy(context.settings.policy_file).reminders.deputies


def _person_row(fp: "FocalPoint", code: str, today: date, readers: set[int], fallback: bool) -> dict:
    state = "active" if fp.active else "inactive"
    if fp.active and fp.active_until and fp.active_until < today:
        state = f"until {show_date(fp.active_until)}"
    elif fp.active and fp.active_from and fp.active_from > today:
        state = f"from {show_date(fp.active_from)}"
    elif fp.active and fp.away_from and fp.away_from <= today <= fp.away_to:
        state = f"away until {show_date(fp.away_to)}"
    receives = "reminders" if fp.id in readers else ("escalations" if fp.role == "head" and fp.active else "—")
    if fp.id in readers and fallback:
        receives = "reminders (head as fallback)"
    return dict(agency=code, name=fp.name, email=fp.email, role=fp.role, address_as=fp.address_as, title=fp.title,
                phone=fp.phone, language=fp.language, state=state, receives_today=receives,
                active_from=fp.active_from, active_until=fp.active_until, away_from=fp.away_from, away_to=fp.away_to)


ProvinceOption = typer.Option(None, help="Only this province's agencies (\"Cao Bằng\", \"tỉnh Cao Bằng\", any case).")


@agencies_app.command("list")
@handles_errors
def list_agencies(ctx: typer.Context, province: str = ProvinceOption,
                  fmt: Format = FormatOption) -> None:
    """Every agency with its province, identifier code and how many people serve it."""
    from sqlalchemy import func, select

    from models.core import agency as agencies, focal_point
    context = ctx.obj
    with context.engine.connect() as session:
        counts = dict(session.execute(select(focal_point.c.agency_id, func.count())
                                      .where(focal_point.c.active == True)  # noqa: E712
                                      .group_by(focal_point.c.agency_id)).all())
        statement = select(agencies).order_by(agencies.c.kind, agencies.c.code)
        found = [a for a in session.execute(statement)
                 if province is None or people_ops.same_province(a.province, province)]
        if province is not None and not found:
            known = ", ".join(p or "—" for p in session.execute(
                select(agencies.c.province).group_by(agencies.c.province).order_by(agencies.c.province)).scalars())
            raise _no_such_province(province, known)
        rows = [dict(code=a.code, name=a.name_vi, name_en=a.name_en, kind=a.kind, province=a.province,
                     identifier_code=a.identifier_code, people=counts.get(a.id, 0)) for a in found]
    from dondoc.cli.output import labelled, language
    emit(rows, fmt, [("code", ("Mã", "Code")), ("name_en" if language() == "en" else "name", ("Cơ quan", "Agency")),
                     ("kind", ("Loại", "Kind")), ("province", ("Tỉnh", "Province")),
                     ("identifier_code", ("Mã định danh", "Identifier code")), ("people", ("Đầu mối", "Focal points"))],
         title=("Cơ quan", "Agencies"), formatters={"kind": labelled("agency_kind"), "people": str})


@agencies_app.command("show")
@handles_errors
def show_agency(ctx: typer.Context, code: str = typer.Argument(..., help="The agency's code, e.g. SKHDT."),
                today: date = TodayOption, fmt: Format = FormatOption) -> None:
    """An agency, its people, who receives what today, and the tasks it leads."""
    from sqlmodel import Session, select

    from models.agency import AgencyGroup, AgencyGroupMember, FocalPoint
    context = ctx.obj
    day = local_date(context.clock(today).now())
    with Session(context.engine) as session:
        agency = people_ops.find_agency(session, code)
        people = session.exec(select(FocalPoint).where(FocalPoint.agency_id == agency.id).order_by(FocalPoint.id)).all()
        readers, _, fallback = people_ops.who_serves(session, agency.id, day, deputies=_deputies(context))
        refs = people_ops.live_tasks_led(session, agency.id)
        groups = session.exec(select(AgencyGroup.code).join(AgencyGroupMember, AgencyGroupMember.group_id == AgencyGroup.id)
                              .where(AgencyGroupMember.agency_id == agency.id).order_by(AgencyGroup.code)).all()
    rows = [_person_row(fp, agency.code, day, {r.id for r in readers}, fallback) for fp in people]
    if fmt != Format.table:
        emit(rows, fmt, [(k, k) for k in ("agency", "name", "email", "role", "address_as", "title", "phone",
                                          "language", "state", "receives_today")])
        return
    typer.echo(f"{agency.code}: {agency.name_vi} ({agency.name_en})")
    typer.echo(f"  loại {agency.kind} · tỉnh {agency.province or '—'} · mã định danh {agency.identifier_code or '—'}"
               f" · nhóm {', '.join(groups) or '—'}")
    typer.echo(f"  chủ trì {len(refs)} nhiệm vụ: {', '.join(refs[:12])}{' …' if len(refs) > 12 else ''}")
    emit(rows, fmt, [("name", "Họ tên"), ("email", "Email"), ("role", "Vai trò"), ("address_as", "Xưng hô"),
                     ("phone", "Điện thoại"), ("state", "Trạng thái"), ("receives_today", f"Nhận ({show_date(day)})")])


def _print_changes(changes, fmt: Format) -> None:
    if fmt == Format.json:
        import json
        typer.echo(json.dumps([d.as_dict() for d in changes.differences], ensure_ascii=False, indent=2))
        return
    if fmt == Format.csv:
        emit([dict(d.as_dict(), fields="; ".join(f"{f['field']}: {f['old']} -> {f['new']}" for f in d.as_dict()["fields"]))
              for d in changes.differences], fmt,
             [("action", "action"), ("entity", "entity"), ("agency", "agency"), ("who", "who"),
              ("conflict", "conflict"), ("fields", "fields")])
        return
    if not changes.differences:
        typer.echo(say("Không có khác biệt: danh bạ đã khớp với tệp.", "No differences: the directory already matches the file."))
    for difference in changes.differences:
        if difference.conflict:
            continue
        typer.echo(f"  {difference.describe()}")
    for difference in changes.conflicts:
        typer.echo(f"  CONFLICT (changed in the app since the last import; kept unless --overwrite): "
                   f"{difference.describe()}")


@agencies_app.command("import")
@handles_errors
def import_agencies(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A directory file in the schema of config/agencies.yaml."),
    apply: bool = typer.Option(False, "--apply", help="Apply the differences. Without it nothing is written."),
    overwrite: bool = typer.Option(False, "--overwrite", help="With --apply: also undo changes made in the app."),
    reason: str = typer.Option("", help="Why (kept in the audit)."),
    province: str = typer.Option(None, help="The file is this province's directory (given to the agencies "
                                            "naming no province); other provinces' directories are left alone."),
    prefix: str = typer.Option(None, help="Put this before every code of the file (CB- makes SKHDT CB-SKHDT): "
                                          "codes are unique across provinces."),
    today: date = TodayOption,
    fmt: Format = FormatOption,
) -> None:
    """Show what importing FILE changes (agencies and people added, changed, removed; conflicts with
    changes made in the app); apply it with --apply. A file naming another province's codes is refused."""
    context = ctx.obj
    from sqlmodel import Session

    from config.files import read_agency_file
    directory = people_ops.for_province(read_agency_file(file), province, prefix)
    now = context.clock(today).now()
    if overwrite and not apply:
        raise InputError("--overwrite goes with --apply", field="--overwrite", vi="--overwrite chỉ dùng cùng --apply")
    if not apply:
        with Session(context.engine) as session:
            changes = people_ops.import_changes(session, directory)
        _print_changes(changes, fmt)
        if changes.differences and fmt == Format.table:
            typer.echo(f"Nothing changed: run again with --apply to apply {len(changes.applicable)} differences"
                       + (f" (--overwrite to also apply the {len(changes.conflicts)} conflicts)" if changes.conflicts else "")
                       + ".")
        return
    note = f"import {file.name}" + (f": {reason}" if reason else "")
    with transaction(context.engine) as session:
        changes = people_ops.apply_import(session, directory, at=now, actor=context.actor, note=note,
                                          overwrite=overwrite, today=local_date(now))
    _print_changes(changes, fmt)
    if fmt == Format.table:
        applied = len(changes.applicable) + (len(changes.conflicts) if overwrite else 0)
        left = 0 if overwrite else len(changes.conflicts)
        typer.echo(f"Applied {applied} differences" + (f"; {left} conflicts left as changed in the app." if left else "."))


@agencies_app.command("edit")
@handles_errors
def edit_agency(ctx: typer.Context, code: str = typer.Argument(..., help="The agency's code."),
                identifier_code: str = typer.Option(None, "--identifier-code",
                                                    help="Mã định danh (Decision 20/2020/QĐ-TTg), e.g. 000.00.12.H03; "
                                                         "\"\" removes it."),
                name_vi: str = typer.Option(None, "--name-vi", help="The Vietnamese name."),
                name_en: str = typer.Option(None, "--name-en", help="The English name."),
                reason: str = typer.Option(..., "--reason", help="Why (kept in the audit with who changed what)."),
                today: date = TodayOption) -> None:
    """Correct an agency's names or its identifier code (mã định danh), audited."""
    context = ctx.obj
    values = {k: v for k, v in dict(identifier_code=identifier_code, name_vi=name_vi, name_en=name_en).items()
              if v is not None}
    if not values:
        raise InputError("nothing to change: give --identifier-code, --name-vi or --name-en", field="agency",
                         vi="không có gì để thay đổi: hãy nêu --identifier-code, --name-vi hoặc --name-en")
    with transaction(context.engine) as session:
        agency = people_ops.find_agency(session, code)
        changed = people_ops.edit_agency(session, _change(context, today, reason), agency, **values)
    typer.echo(f"{code}: " + (f"changed {', '.join(changed)}." if changed else "nothing changed."))


@agencies_app.command("export")
@handles_errors
def export_agencies(ctx: typer.Context,
                    out: Path = typer.Option(None, "--out", help="Write here (default: standard output)."),
                    province: str = typer.Option(None, help="Only this province's directory."),
                    today: date = TodayOption) -> None:
    """Today's directory as YAML, in the schema of config/agencies.yaml."""
    from sqlmodel import Session
    context = ctx.obj
    with Session(context.engine) as session:
        if province and not any(people_ops.same_province(p, province) for p, _ in people_ops.provinces(session)):
            known = ", ".join(p or "—" for p, _ in people_ops.provinces(session))
            raise _no_such_province(province, known)
        text = people_ops.export_yaml(session, at=context.clock(today).now(), province=province)
    if out is None:
        typer.echo(text, nl=False)
        return
    temporary = out.with_name(out.name + ".part")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out)
    typer.echo(f"Wrote {out}")


# --- people ---------------------------------------------------------------------------------

ReasonOption = typer.Option(..., "--reason", help="Why (kept in the audit with who changed what).")
AgencyOption = typer.Option(None, "--agency", help="The agency, when the address serves several.")


def _change(context, today, reason: str) -> "people_ops.Change":
    now = context.clock(today).now()
    return people_ops.Change(at=now, actor=context.actor, reason=reason, today=local_date(now))


def _warn(warnings) -> None:
    from config.errors import in_language
    for warning in warnings:
        typer.echo(say("cảnh báo: ", "warning: ") + in_language(warning, language()), err=True)


@people_app.command("add")
@handles_errors
def add(ctx: typer.Context, agency: str = typer.Argument(..., help="The agency's code."),
        name: str = typer.Option(..., help="Full name, with diacritics."),
        email: str = typer.Option(..., help="Their email address (where reminders go)."),
        role: str = typer.Option("primary", help="primary, deputy or head."),
        phone: str = typer.Option(None, help="A phone number (shown to staff)."), address_as: str = typer.Option(None, "--address-as", help="ông, bà, đồng chí, ..."),
        title: str = typer.Option(None, help="Chức vụ."), language: str = typer.Option("vi", help="vi or en."),
        effective: date = DayOption, reason: str = ReasonOption, today: date = TodayOption) -> None:
    """Add a focal point to an agency."""
    context = ctx.obj
    change = _change(context, today, reason)
    with transaction(context.engine) as session:
        fp = people_ops.add_person(session, change, agency, name=name, email=email, role=role, language=language,
                                   phone=phone, address_as=address_as, title=title, effective=effective)
        text = f"Added {fp.name} <{fp.email}> ({fp.role}) to {agency}" + (
            f" from {show_date(fp.active_from)}" if fp.active_from else "") + "."
    typer.echo(text)


@people_app.command("edit")
@handles_errors
def edit(ctx: typer.Context, email: str = typer.Argument(..., help="The person's current address."),
         agency: str = AgencyOption, name: str = typer.Option(None, help="A new full name."),
         new_email: str = typer.Option(None, "--email", help="A new email address."),
         role: str = typer.Option(None, help="primary, deputy or head."), phone: str = typer.Option(None, help="A new phone number."),
         address_as: str = typer.Option(None, "--address-as", help="ông, bà, đồng chí, ..."),
         title: str = typer.Option(None, help="Chức vụ."),
         language: str = typer.Option(None, help="vi or en: the language of their emails."), reason: str = ReasonOption, today: date = TodayOption) -> None:
    """Correct a focal point's details (only the options given change)."""
    context = ctx.obj
    values = {k: v for k, v in dict(name=name, email=new_email, role=role, phone=phone, address_as=address_as,
                                    title=title, language=language).items() if v is not None}
    if not values:
        raise InputError("nothing to change: give --name, --email, --role, --phone, --address-as, --title or --language",
                         vi="không có gì để thay đổi: hãy nêu --name, --email, --role, --phone, --address-as, --title "
                            "hoặc --language")
    change = _change(context, today, reason)
    with transaction(context.engine) as session:
        fp = people_ops.find_person(session, email, agency)
        warnings = people_ops.edit_person(session, change, fp, **values)
        text = f"Updated {fp.name} <{fp.email}>: {', '.join(sorted(values))}."
    _warn(warnings)
    typer.echo(text)


@people_app.command("replace")
@handles_errors
def replace(ctx: typer.Context, email: str = typer.Argument(..., help="The address of the person leaving."),
            agency: str = AgencyOption, name: str = typer.Option(..., help="The new person's name."),
            new_email: str = typer.Option(..., "--email", help="The new person's address."),
            phone: str = typer.Option(None, help="The new person's phone number."),
            address_as: str = typer.Option(None, "--address-as", help="ông, bà, đồng chí, ..."),
            title: str = typer.Option(None, help="Chức vụ."),
            language: str = typer.Option(None, help="vi or en: the language of their emails."),
            effective: date = DayOption, reason: str = ReasonOption, today: date = TodayOption) -> None:
    """Someone takes over a focal point's role from a day (--from; default today)."""
    context = ctx.obj
    change = _change(context, today, reason)
    with transaction(context.engine) as session:
        old = people_ops.find_person(session, email, agency)
        new = people_ops.replace_person(session, change, old, name=name, email=new_email, phone=phone,
                                        address_as=address_as, title=title, language=language, effective=effective)
        day = effective if effective and effective > change.today else change.today
        text = f"{new.name} <{new.email}> replaces {old.name} <{old.email}> ({new.role}) from {show_date(day)}."
    typer.echo(text)


@people_app.command("deactivate")
@handles_errors
def deactivate(ctx: typer.Context, email: str = typer.Argument(...), agency: str = AgencyOption,
               effective: date = DayOption, reason: str = ReasonOption, today: date = TodayOption) -> None:
    """A focal point no longer serves (from --from; default today). Refused when it would leave an agency
    that leads live tasks with nobody to remind."""
    context = ctx.obj
    change = _change(context, today, reason)
    with transaction(context.engine) as session:
        fp = people_ops.find_person(session, email, agency)
        warnings = people_ops.deactivate_person(session, change, fp, effective=effective)
        text = f"{fp.name} <{fp.email}> no longer serves" + (
            f" after {show_date(fp.active_until)}." if fp.active else ".")
    _warn(warnings)
    typer.echo(text)


@people_app.command("away")
@handles_errors
def away(ctx: typer.Context, email: str = typer.Argument(...), agency: str = AgencyOption,
         start: date = typer.Option(None, "--from", parser=parse_day, metavar="DD/MM/YYYY",
                                    help="The first day away (dd/mm/yyyy or YYYY-MM-DD)."),
         end: date = typer.Option(None, "--to", parser=parse_day, metavar="DD/MM/YYYY",
                                  help="The last day away, included."),
         back: bool = typer.Option(False, "--back", help="Clear the away period."),
         reason: str = ReasonOption, today: date = TodayOption) -> None:
    """A focal point is away from-to (both included): on those days their reminders go to the deputy."""
    context = ctx.obj
    change = _change(context, today, reason)
    if back:
        start = end = None
    elif start is None or end is None:
        raise InputError("give --from and --to (or --back)", field="--from", vi="hãy nêu --from và --to (hoặc --back)")
    with transaction(context.engine) as session:
        fp = people_ops.find_person(session, email, agency)
        people_ops.set_away(session, change, fp, start=start, end=end)
        text = (f"{fp.name} <{fp.email}> is away {show_date(start)} - {show_date(end)}: the deputy covers."
                if start else f"{fp.name} <{fp.email}> is back.")
    typer.echo(text)


@people_app.command("history")
@handles_errors
def history(ctx: typer.Context, agency: str = typer.Argument(..., help="The agency's code."),
            fmt: Format = FormatOption) -> None:
    """Every change to an agency and its people: who, when, what, why."""
    from sqlmodel import Session, select

    from models.audit import AuditEntry
    context = ctx.obj
    with Session(context.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity.in_(["agency", "focal_point"]),
                                                        AuditEntry.ref == agency).order_by(AuditEntry.id)).all()
    rows = [dict(at=vn_time(e.at), actor=e.actor, entity=e.entity, field=e.field,
                 old=e.old_value, new=e.new_value, why=e.note) for e in entries]
    emit(rows, fmt, [("at", "Lúc"), ("actor", "Ai"), ("entity", "Đối tượng"), ("field", "Trường"), ("old", "Cũ"),
                     ("new", "Mới"), ("why", "Lý do")])
