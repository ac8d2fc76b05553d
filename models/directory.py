"""The agency directory once it lives in the database.

A YAML file (config/agencies.yaml's schema) is an import and an export: `import_changes` says what a
file would change (agencies and people added, changed, removed, each named) and which of those would
undo a change made in the app since (conflicts, left alone unless overwritten); `apply_import` does it;
`export_file` writes today's directory back. People are added, edited, replaced, deactivated and sent
away through the functions below, each change in the audit with who and why. No change may leave an
agency that leads live tasks with nobody to remind (`check_recipients`).

Who serves on a day is a pure function of the day (`serving`): the daily job reads plain rows once and
filters them in Python.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import delete, func
from sqlmodel import Session, select

from config.errors import InputError, Said, validation_refusal
from config.files import AgencyEntry, AgencyFile, FocalPointEntry, GroupEntry
from models.agency import Agency, AgencyGroup, AgencyGroupMember, FocalPoint, FocalPointRole
from models.agency_values import Duty, is_away, is_dated, on_duty, serving  # noqa: F401  (their home before)
from models.audit import record
from models.plan import Task
from models.web_state import end_sessions_of

PERSON_FIELDS = ("name", "role", "language", "active", "phone", "address_as", "title", "active_from",
                 "active_until", "away_from", "away_to")
AGENCY_FIELDS = ("name_vi", "name_en", "kind", "province", "identifier_code", "aliases")
GROUP_FIELDS = ("name_vi", "name_en", "aliases", "members")


# Who serves on a day (pure): Duty, on_duty, is_away, is_dated, serving live in models/agency_values.py.


# --- provinces: each has its own directory -----------------------------------------------------

_PROVINCE_PREFIXES = (("tỉnh",), ("thành", "phố"), ("tp",))


def province_key(name: str | None) -> str:
    """A province's name compared as people write it: "Bắc Kạn", "BẮC KẠN", "tỉnh Bắc Kạn" and "Bắc
    Cạn" typed with the old tone placement are one key; "" for none."""
    from models.plan_parser.agencies import word_key
    words = [word_key(w) for w in re.findall(r"\w+", name or "")]
    for prefix in _PROVINCE_PREFIXES:
        if tuple(words[:len(prefix)]) == prefix and len(words) > len(prefix):
            words = words[len(prefix):]
            break
    return " ".join(words)


def same_province(a: str | None, b: str | None) -> bool:
    return province_key(a) == province_key(b)


def in_province(directory: AgencyFile, province: str, *, unplaced: bool = True) -> AgencyFile:
    """The part of `directory` that is `province`'s: its agencies (and, `unplaced`, those naming no
    province: a file written for one province), and the groups whose members are all among them.
    No province given: the whole directory."""
    if not province_key(province):
        return directory
    key = province_key(province)
    agencies = [a for a in directory.agencies
                if province_key(a.province) == key or (unplaced and not province_key(a.province))]
    kept = {a.code for a in agencies}
    groups, pending = [], list(directory.groups)
    while True:  # a group of groups is kept once its member groups are
        found = [g for g in pending if all(m in kept for m in g.members)]
        if not found:
            break
        groups += found
        kept |= {g.code for g in found}
        pending = [g for g in pending if g not in found]
    return AgencyFile.model_construct(agencies=agencies, groups=groups)


def for_province(directory: AgencyFile, province: str | None = None, prefix: str | None = None) -> AgencyFile:
    """A directory file as one province's: `province` given to the agencies naming none, and `prefix`
    put before every agency and group code (and member) that lacks it ("CB-" makes SKHDT CB-SKHDT):
    codes are unique across provinces, so a second province's file may need its own."""
    prefix = (prefix or "").strip().upper()
    if prefix and not re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", prefix):
        raise InputError(f"'{prefix}' is not a code prefix (capital letters, digits and '-')", field="--prefix",
                         vi=f"'{prefix}' không phải tiền tố mã (chỉ gồm chữ in hoa, chữ số và '-')")

    def code(value: str) -> str:
        return value if not prefix or value.startswith(prefix) else prefix + value

    agencies = [a.model_copy(update=dict(code=code(a.code), province=a.province or province or ""))
                for a in directory.agencies]
    groups = [g.model_copy(update=dict(code=code(g.code), members=[code(m) for m in g.members]))
              for g in directory.groups]
    too_long = [a.code for a in [*agencies, *groups] if len(a.code) > 40]
    if too_long:
        raise InputError(f"codes longer than 40 characters with the prefix: {', '.join(too_long)}", field="--prefix",
                         vi=f"các mã dài quá 40 ký tự khi thêm tiền tố: {', '.join(too_long)}")
    return AgencyFile.model_construct(agencies=agencies, groups=groups)


def province_clashes(session: Session, directory: AgencyFile) -> list[str]:
    """The file's codes that are another province's agency or group: importing would change that
    province's directory (refused: the codes are unique across provinces)."""
    clashes = []
    existing = {a.code: a for a in session.exec(select(Agency))}
    for entry in directory.agencies:
        agency = existing.get(entry.code)
        if agency is not None and province_key(entry.province) and province_key(agency.province) \
                and not same_province(entry.province, agency.province):
            clashes.append(f"{entry.code} ({agency.name_vi}, {agency.province})")
    file_provinces = {province_key(a.province) for a in directory.agencies} - {""}
    if file_provinces:
        groups = {g.code: g for g in session.exec(select(AgencyGroup))}
        for entry in directory.groups:
            group = groups.get(entry.code)
            if group is None:
                continue
            theirs = {province_key(p) for p in session.exec(
                select(Agency.province).join(AgencyGroupMember, AgencyGroupMember.agency_id == Agency.id)
                .where(AgencyGroupMember.group_id == group.id).distinct())} - {""}
            if theirs and not theirs & file_provinces:
                clashes.append(f"{entry.code} ({group.name_vi})")
    return clashes


def province_directory(session: Session, province: str) -> AgencyFile:
    """The database directory of `province` (agencies naming no province are nobody's: not included);
    the whole directory when `province` is empty."""
    return in_province(export_file(session), province, unplaced=False)


def provinces(session: Session) -> list[tuple[str, int]]:
    """The provinces of the directory with their number of agencies ("" for agencies naming none)."""
    return [(p or "", n) for p, n in session.exec(select(Agency.province, func.count()).group_by(Agency.province)
                                                   .order_by(Agency.province)).all()]


def code_taken(code: str, existing: Agency, *, field: str) -> InputError:
    """The refusal of a new agency code another agency already has (codes are unique across provinces)."""
    return InputError(f"the code {code} is already {existing.province or 'the directory'}'s ({existing.name_vi}): "
                      "choose another", field=field,
                      vi=f"mã {code} đã thuộc {existing.province or 'danh bạ'} ({existing.name_vi}): hãy chọn mã khác")


def _not_editable(unknown: set[str]) -> InputError:
    names = ", ".join(sorted(unknown))
    return InputError(f"cannot edit {names}", field=sorted(unknown)[0], vi=f"không sửa được {names}")


def add_agencies(session: Session, entries: list[dict], *, province: str, at: datetime, actor: str,
                 note: str) -> list[Agency]:
    """New agencies (code, name_vi, name_en, kind) into `province`'s directory, each in the audit."""
    added = []
    for entry in entries:
        existing = session.exec(select(Agency).where(Agency.code == entry["code"])).first()
        if existing is not None:
            raise code_taken(entry["code"], existing, field="code")
        agency = Agency(code=entry["code"], name_vi=entry["name_vi"], name_en=entry["name_en"], kind=entry["kind"],
                        province=province)
        session.add(agency)
        session.flush()
        record(session, at=at, actor=actor, entity="agency", entity_id=agency.id, field="created",
               new=agency.code, ref=agency.code, note=note)
        added.append(agency)
    return added


# --- the directory as a file ------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return [line for line in (text or "").split("\n") if line]


def _person_values(fp: FocalPoint) -> dict:
    return {name: getattr(fp, name) for name in PERSON_FIELDS}


def _entry_values(entry: FocalPointEntry) -> dict:
    return {name: getattr(entry, name) for name in PERSON_FIELDS}


def export_file(session: Session) -> AgencyFile:
    """Today's directory in the shape of config/agencies.yaml (people no longer active included, marked)."""
    agencies = session.exec(select(Agency).order_by(Agency.id)).all()
    people: dict[int, list[FocalPoint]] = {}
    for fp in session.exec(select(FocalPoint).order_by(FocalPoint.id)):
        people.setdefault(fp.agency_id, []).append(fp)
    code_of = {a.id: a.code for a in agencies}
    entries = []
    for agency in agencies:
        entries.append(AgencyEntry.model_construct(
            code=agency.code, name_vi=agency.name_vi, name_en=agency.name_en, kind=agency.kind,
            province=agency.province or "", identifier_code=agency.identifier_code, aliases=_lines(agency.aliases),
            focal_points=[FocalPointEntry.model_construct(email=fp.email, **_person_values(fp))
                          for fp in people.get(agency.id, [])]))
    groups = []
    for group in session.exec(select(AgencyGroup).order_by(AgencyGroup.id)):
        members = _lines(group.members) or [code_of[m] for m in session.exec(
            select(AgencyGroupMember.agency_id).where(AgencyGroupMember.group_id == group.id)
            .order_by(AgencyGroupMember.agency_id))]
        groups.append(GroupEntry.model_construct(code=group.code, name_vi=group.name_vi, name_en=group.name_en,
                                                 aliases=_lines(group.aliases), members=members))
    return AgencyFile.model_construct(agencies=entries, groups=groups)


def export_yaml(session: Session, *, at: datetime | None = None, province: str | None = None) -> str:
    """The directory as YAML; `province`: that province's only (its agencies and the groups of them)."""
    directory = export_file(session) if not province else province_directory(session, province)
    header = ("# The agency directory, exported by `dondoc agencies export`"
              + (f" on {at:%d/%m/%Y %H:%M}" if at else "") + ".\n"
              "# Edit a copy and `dondoc agencies import FILE` it: the differences are shown, applied with --apply.\n")

    def agency(entry: AgencyEntry) -> dict:
        out = dict(code=entry.code, name_vi=entry.name_vi, name_en=entry.name_en, kind=entry.kind)
        if entry.province:
            out["province"] = entry.province
        if entry.identifier_code:
            out["identifier_code"] = entry.identifier_code
        if entry.aliases:
            out["aliases"] = list(entry.aliases)
        out["focal_points"] = [person(fp) for fp in entry.focal_points]
        return out

    def person(fp: FocalPointEntry) -> dict:
        out = dict(name=fp.name, email=fp.email, role=fp.role)
        if fp.language != "vi":
            out["language"] = fp.language
        if not fp.active:
            out["active"] = False
        for name in ("phone", "address_as", "title", "active_from", "active_until", "away_from", "away_to"):
            value = getattr(fp, name)
            if value is not None:
                out[name] = value.isoformat() if isinstance(value, date) else value
        return out

    data = dict(agencies=[agency(a) for a in directory.agencies],
                groups=[dict(code=g.code, name_vi=g.name_vi, name_en=g.name_en,
                             **({"aliases": list(g.aliases)} if g.aliases else {}), members=list(g.members))
                        for g in directory.groups])
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


# --- what an import changes -----------------------------------------------------------------

@dataclass
class Difference:
    action: str  # added, changed, removed, kept (an agency missing from the file is never deleted)
    entity: str  # agency, group, person
    agency: str  # the agency's (or group's) code
    who: str  # the agency's name, or the person's "name <email>"
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, old, new)
    conflict: bool = False  # the person was changed in the app since: left alone unless overwritten

    def describe(self) -> str:
        text = f"{self.action} {self.entity} {self.agency}: {self.who}"
        if self.fields:
            text += " (" + "; ".join(f"{name}: {_show(old)} → {_show(new)}" for name, old, new in self.fields) + ")"
        return text

    def as_dict(self) -> dict:
        return dict(action=self.action, entity=self.entity, agency=self.agency, who=self.who,
                    conflict=self.conflict, fields=[dict(field=f, old=_plain(o), new=_plain(n)) for f, o, n in self.fields])


def _show(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class ImportChanges:
    differences: list[Difference]
    agreed: list[int] = field(default_factory=list)  # people changed in the app whom the file now matches

    @property
    def conflicts(self) -> list[Difference]:
        return [d for d in self.differences if d.conflict]

    @property
    def applicable(self) -> list[Difference]:
        return [d for d in self.differences if not d.conflict and d.action != "kept"]


def _who(name: str, email: str) -> str:
    return f"{name} <{email}>"


def import_changes(session: Session, directory: AgencyFile) -> ImportChanges:
    """What importing `directory` would change, each difference named; conflicts marked. A file
    naming codes of another province's directory is refused (see province_clashes); agencies of
    the file's provinces that it leaves out are listed as kept, other provinces' are not its business."""
    clashes = province_clashes(session, directory)
    if clashes:
        raise InputError(f"{len(clashes)} codes already belong to another province's directory: {'; '.join(clashes)}. "
                         "Agency codes are unique across provinces: import with --prefix (e.g. --prefix CB- makes "
                         "SKHDT CB-SKHDT) or rename them in the file.", field="code",
                         vi=f"{len(clashes)} mã đã thuộc danh bạ của tỉnh khác: {'; '.join(clashes)}. Mã cơ quan là "
                            "duy nhất giữa các tỉnh: nhập với --prefix (ví dụ --prefix CB- biến SKHDT thành CB-SKHDT) "
                            "hoặc đổi mã trong tệp.")
    differences: list[Difference] = []
    agreed: list[int] = []
    agencies = {a.code: a for a in session.exec(select(Agency))}
    people: dict[int, dict[str, FocalPoint]] = {}
    for fp in session.exec(select(FocalPoint).order_by(FocalPoint.id)):
        people.setdefault(fp.agency_id, {})[fp.email.lower()] = fp
    for entry in directory.agencies:
        wanted = dict(name_vi=entry.name_vi, name_en=entry.name_en, kind=entry.kind, province=entry.province,
                      identifier_code=entry.identifier_code, aliases=list(entry.aliases))
        agency = agencies.get(entry.code)
        if agency is None:
            differences.append(Difference("added", "agency", entry.code, entry.name_vi))
            existing = {}
        else:
            current = dict(name_vi=agency.name_vi, name_en=agency.name_en, kind=agency.kind, province=agency.province,
                           identifier_code=agency.identifier_code, aliases=_lines(agency.aliases))
            # A file that names no province leaves the agency's as it is (the file predates provinces).
            if not entry.province or same_province(entry.province, current["province"]):
                wanted["province"] = current["province"]  # "BẮC KẠN" is Bắc Kạn: no change
            changed = [(k, current[k], wanted[k]) for k in wanted if current[k] != wanted[k]]
            if changed:
                differences.append(Difference("changed", "agency", entry.code, entry.name_vi, changed))
            existing = people.get(agency.id, {})
        seen = set()
        for person in entry.focal_points:
            key = person.email.lower()
            seen.add(key)
            fp = existing.get(key)
            if fp is None:
                differences.append(Difference("added", "person", entry.code, _who(person.name, person.email)))
                continue
            current, new = _person_values(fp), _entry_values(person)
            if fp.email != person.email:
                current["email"], new["email"] = fp.email, person.email
            changed = [(k, current[k], new[k]) for k in new if current[k] != new[k]]
            if changed:
                differences.append(Difference("changed", "person", entry.code, _who(person.name, person.email),
                                              changed, conflict=fp.changed_in_app_at is not None))
            elif fp.changed_in_app_at is not None:
                agreed.append(fp.id)
        for key, fp in existing.items():
            if key not in seen and fp.active:
                differences.append(Difference("removed", "person", entry.code, _who(fp.name, fp.email),
                                              [("active", True, False)], conflict=fp.changed_in_app_at is not None))
    in_file = {a.code for a in directory.agencies}
    file_provinces = {province_key(a.province) for a in directory.agencies}
    for code, agency in sorted(agencies.items()):
        theirs = not file_provinces - {""} or province_key(agency.province) in file_provinces
        if code not in in_file and theirs:
            differences.append(Difference("kept", "agency", code, agency.name_vi))
    groups = {g.code: g for g in session.exec(select(AgencyGroup))}
    for entry in directory.groups:
        group = groups.get(entry.code)
        if group is None:
            differences.append(Difference("added", "group", entry.code, entry.name_vi))
            continue
        current = dict(name_vi=group.name_vi, name_en=group.name_en, aliases=_lines(group.aliases),
                       members=_lines(group.members))
        wanted = dict(name_vi=entry.name_vi, name_en=entry.name_en, aliases=list(entry.aliases),
                      members=list(entry.members))
        changed = [(k, current[k], wanted[k]) for k in wanted if current[k] != wanted[k]]
        if changed:
            differences.append(Difference("changed", "group", entry.code, entry.name_vi, changed))
    return ImportChanges(differences, agreed)


def _stored(name: str, value):
    return "\n".join(value) if name in ("aliases", "members") else value


def apply_import(session: Session, directory: AgencyFile, *, at: datetime, actor: str, note: str,
                 overwrite: bool = False, today: date | None = None, province: str = "") -> ImportChanges:
    """Apply what `import_changes` found (conflicts too when `overwrite`), in the caller's transaction.
    `province`: given to new agencies whose entry names none (the plan's, on a first load)."""
    from models.loading import expand_codes

    changes = import_changes(session, directory)
    agencies = {a.code: a for a in session.exec(select(Agency))}
    by_code = {e.code: e for e in directory.agencies}
    touched: set[int] = set()

    def audit(entity, entity_id, field_name, old=None, new=None, ref=None):
        record(session, at=at, actor=actor, entity=entity, entity_id=entity_id, field=field_name,
               old=_plain(old) if not isinstance(old, list) else ", ".join(old),
               new=_plain(new) if not isinstance(new, list) else ", ".join(new), ref=ref, note=note)

    for difference in changes.differences:
        if difference.action == "kept" or (difference.conflict and not overwrite):
            continue
        if difference.entity == "agency":
            entry = by_code[difference.agency]
            if difference.action == "added":
                agency = Agency(code=entry.code, name_vi=entry.name_vi, name_en=entry.name_en, kind=entry.kind,
                                province=entry.province or province, identifier_code=entry.identifier_code,
                                aliases="\n".join(entry.aliases))
                session.add(agency)
                session.flush()
                agencies[entry.code] = agency
                audit("agency", agency.id, "created", new=entry.code, ref=entry.code)
            else:
                agency = agencies[entry.code]
                for name, old, new in difference.fields:
                    setattr(agency, name, _stored(name, new))
                    audit("agency", agency.id, name, old, new, ref=entry.code)
    people = {(fp.agency_id, fp.email.lower()): fp for fp in session.exec(select(FocalPoint))}
    for difference in changes.differences:
        if difference.entity != "person" or (difference.conflict and not overwrite):
            continue
        agency = agencies[difference.agency]
        email = difference.who.rsplit("<", 1)[1].rstrip(">")
        fp = people.get((agency.id, email.lower()))
        if difference.action == "added":
            entry = next(p for p in by_code[agency.code].focal_points if p.email.lower() == email.lower())
            fp = FocalPoint(agency_id=agency.id, email=entry.email, **_entry_values(entry))
            session.add(fp)
            session.flush()
            audit("focal_point", fp.id, "created", new=entry.email, ref=agency.code)
        else:
            for name, old, new in difference.fields:
                setattr(fp, name, new)
                audit("focal_point", fp.id, name, old, new, ref=agency.code)
                if name == "active" and not new:
                    end_sessions_of(session, email=fp.email, kind="focal")  # deactivated: signed out everywhere
            fp.changed_in_app_at = None
        touched.add(agency.id)
    for fp_id in changes.agreed:  # the file caught up with the app: the next import may change them again
        session.get(FocalPoint, fp_id).changed_in_app_at = None
    _apply_groups(session, directory, changes, agencies, audit, expand_codes)
    session.flush()
    check_recipients(session, touched, today=today)
    return changes


def _apply_groups(session, directory, changes, agencies, audit, expand_codes):
    groups = {g.code: g for g in session.exec(select(AgencyGroup))}
    changed_codes = {d.agency for d in changes.differences if d.entity == "group"}
    for entry in directory.groups:
        if entry.code not in changed_codes and entry.code in groups:
            continue
        group = groups.get(entry.code)
        values = dict(name_vi=entry.name_vi, name_en=entry.name_en, aliases="\n".join(entry.aliases),
                      members="\n".join(entry.members))
        if group is None:
            group = groups[entry.code] = AgencyGroup(code=entry.code, **values)
            session.add(group)
            session.flush()
            audit("group", group.id, "created", new=entry.code, ref=entry.code)
        else:
            for name, value in values.items():
                if getattr(group, name) != value:
                    audit("group", group.id, name, getattr(group, name), value, ref=entry.code)
                    setattr(group, name, value)
    # Members are stored expanded to agencies, so a group of groups reads in one query.
    for entry in directory.groups:
        group = groups[entry.code]
        wanted = {agencies[c].id for c in expand_codes([entry.code], directory) if c in agencies}
        current = set(session.exec(select(AgencyGroupMember.agency_id).where(AgencyGroupMember.group_id == group.id)))
        if wanted != current:
            session.exec(delete(AgencyGroupMember).where(AgencyGroupMember.group_id == group.id))
            session.add_all(AgencyGroupMember(group_id=group.id, agency_id=a) for a in sorted(wanted))
            audit("group", group.id, "members", len(current), len(wanted), ref=entry.code)


# --- safety: nobody left to remind ------------------------------------------------------------

class NobodyLeft(InputError):
    pass


def live_tasks_led(session: Session, agency_id: int) -> list[str]:
    return list(session.exec(select(Task.ref).where(Task.lead_agency_id == agency_id, Task.retired == False)  # noqa: E712
                             .order_by(Task.ref)))


def check_recipients(session: Session, agency_ids, *, today: date | None = None) -> list[str]:
    """Refuse (NobodyLeft, naming the tasks) a change that leaves an agency leading live tasks with no
    active focal point; return a warning for each left with only its head (who then reads everything)."""
    warnings = []
    agency_ids = sorted(set(agency_ids))
    active: dict[int, list[FocalPoint]] = {agency_id: [] for agency_id in agency_ids}
    for start in range(0, len(agency_ids), 500):  # one query per 500 agencies (a whole country's import)
        for fp in session.exec(select(FocalPoint).where(FocalPoint.agency_id.in_(agency_ids[start:start + 500]),
                                                        FocalPoint.active == True)):  # noqa: E712
            active[fp.agency_id].append(fp)
    for agency_id in agency_ids:
        people = [fp for fp in active[agency_id] if today is None or fp.active_until is None or fp.active_until >= today]
        if any(fp.role != FocalPointRole.HEAD for fp in people):
            continue
        refs = live_tasks_led(session, agency_id)
        if not refs:
            continue
        agency = session.get(Agency, agency_id)
        heads = [fp for fp in people if fp.role == FocalPointRole.HEAD]
        if heads:
            warnings.append(Said(
                f"{agency.code}: only the head, {heads[0].name} <{heads[0].email}>, is left to receive the reminders "
                f"of {len(refs)} task(s) (the head as fallback)",
                vi=f"{agency.code}: chỉ còn thủ trưởng {heads[0].name} <{heads[0].email}> nhận nhắc việc của "
                   f"{len(refs)} nhiệm vụ (thủ trưởng nhận thay)"))
            continue
        shown = ", ".join(refs[:20]) + (f" … ({len(refs)})" if len(refs) > 20 else "")
        raise NobodyLeft(f"{agency.code} leads {len(refs)} live tasks and would have no active recipient: {shown}. "
                         "Add or replace the person instead.", field="focal_points",
                         vi=f"{agency.code} chủ trì {len(refs)} nhiệm vụ đang thực hiện và sẽ không còn ai nhận nhắc "
                            f"việc: {shown}. Hãy thêm người mới hoặc thay bằng người khác.")
    return warnings


# --- people, changed in the app -------------------------------------------------------------

@dataclass
class Change:
    """Who changes the directory, when, and why: every function below records it in the audit."""
    at: datetime
    actor: str
    reason: str
    today: date

    def note(self, effective: date | None = None) -> str:
        return self.reason + (f" (từ ngày {effective:%d/%m/%Y})" if effective else "")


def find_agency(session: Session, code: str) -> Agency:
    """The agency with this code (any case); a code that is not there is refused with the closest one."""
    agency = session.exec(select(Agency).where(func.upper(Agency.code) == code.strip().upper())).first()
    if agency is None:
        from config.errors import did_you_mean
        codes = session.exec(select(Agency.code)).all()
        raise InputError(f"no agency with code {code}{did_you_mean(code, codes)}", field="agency",
                         vi=f"không có cơ quan nào mã {code}{did_you_mean(code, codes, 'vi')}")
    return agency


def find_person(session: Session, email: str, agency_code: str | None = None) -> FocalPoint:
    statement = select(FocalPoint).where(func.lower(FocalPoint.email) == email.strip().lower())
    if agency_code:
        statement = statement.where(FocalPoint.agency_id == find_agency(session, agency_code).id)
    found = session.exec(statement.order_by(FocalPoint.active.desc(), FocalPoint.id)).all()
    if not found:
        raise InputError(f"no focal point with address {email}", field="email",
                         vi=f"không có đầu mối nào có địa chỉ {email}")
    active = [fp for fp in found if fp.active]
    if len({fp.agency_id for fp in (active or found)}) > 1:
        raise InputError(f"{email} is a focal point of several agencies: name one with --agency", field="email",
                         vi=f"{email} là đầu mối của nhiều cơ quan: chọn một cơ quan bằng --agency")
    return (active or found)[0]


def _validated(values: dict) -> dict:
    """The same checks as the directory file's (a clear message naming the field)."""
    from pydantic import ValidationError
    try:
        entry = FocalPointEntry.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise validation_refusal(first, field=".".join(map(str, first["loc"])) or "focal point") from None
    return entry.model_dump()


def _reason(change: Change) -> None:
    if not change.reason or not change.reason.strip():
        raise InputError("say why (--reason): the audit keeps who changed what and why", field="reason",
                         vi="cần nêu lý do (--reason): nhật ký lưu ai đã thay đổi gì và vì sao")


def add_person(session: Session, change: Change, agency_code: str, *, name: str, email: str, role: str = "primary",
               language: str = "vi", phone: str | None = None, address_as: str | None = None,
               title: str | None = None, effective: date | None = None) -> FocalPoint:
    _reason(change)
    agency = find_agency(session, agency_code)
    values = _validated(dict(name=name, email=email, role=role, language=language, phone=phone or None,
                             address_as=address_as or None, title=title or None,
                             active_from=effective if effective and effective > change.today else None))
    existing = session.exec(select(FocalPoint).where(FocalPoint.agency_id == agency.id,
                                                     func.lower(FocalPoint.email) == values["email"].lower())).first()
    if existing is not None and existing.active:
        raise InputError(f"{email} is already a focal point of {agency.code}", field="email",
                         vi=f"{email} đã là đầu mối của {agency.code}")
    if existing is not None:  # back again: the same row, so its history stays in one place
        for key, value in values.items():
            if key != "email" and getattr(existing, key) != value:
                record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=existing.id,
                       field=key, old=_plain(getattr(existing, key)), new=_plain(value), ref=agency.code,
                       note=change.note(effective))
                setattr(existing, key, value)
        existing.active, existing.active_until = True, None
        fp = existing
    else:
        fp = FocalPoint(agency_id=agency.id, **values)
        session.add(fp)
        session.flush()
        record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=fp.id, field="created",
               new=f"{fp.name} <{fp.email}> ({fp.role})", ref=agency.code, note=change.note(effective))
    fp.changed_in_app_at = change.at
    session.flush()
    return fp


AGENCY_EDITABLE = ("name_vi", "name_en", "identifier_code")


def edit_agency(session: Session, change: Change, agency: Agency, **values) -> list[str]:
    """Change some of AGENCY_EDITABLE (checked as the directory file's fields are: the mã định danh's
    shape of Decision 20/2020/QĐ-TTg); returns the fields changed, each in the audit."""
    from pydantic import ValidationError
    _reason(change)
    unknown = set(values) - set(AGENCY_EDITABLE)
    if unknown:
        raise _not_editable(unknown)
    current = {name: getattr(agency, name) for name in AGENCY_EDITABLE}
    wanted = {**current, **{k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}}
    try:
        entry = AgencyEntry.model_validate(dict(code=agency.code, kind=agency.kind, **wanted))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise validation_refusal(first, field=".".join(map(str, first["loc"])) or "agency") from None
    changed = []
    for name in AGENCY_EDITABLE:
        new = getattr(entry, name)
        if new != current[name]:
            record(session, at=change.at, actor=change.actor, entity="agency", entity_id=agency.id, field=name,
                   old=current[name], new=new, ref=agency.code, note=change.note())
            setattr(agency, name, new)
            changed.append(name)
    session.flush()
    return changed


EDITABLE = ("name", "email", "role", "language", "phone", "address_as", "title")
SELF_EDITABLE = ("phone", "address_as")  # what a focal point may correct about themselves


def edit_person(session: Session, change: Change, fp: FocalPoint, **values) -> list[str]:
    """Change some of EDITABLE; returns the warnings of check_recipients."""
    _reason(change)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise _not_editable(unknown)
    current = {k: getattr(fp, k) for k in ("name", "email", "role", "language", "phone", "address_as", "title")}
    wanted = _validated({**current, **{k: (v if v != "" else None) for k, v in values.items()}})
    agency = session.get(Agency, fp.agency_id)
    if wanted["email"].lower() != fp.email.lower() and session.exec(select(FocalPoint).where(
            FocalPoint.agency_id == fp.agency_id, func.lower(FocalPoint.email) == wanted["email"].lower())).first():
        raise InputError(f"{wanted['email']} is already a focal point of {agency.code}", field="email",
                         vi=f"{wanted['email']} đã là đầu mối của {agency.code}")
    changed = False
    for key in current:
        if wanted[key] != current[key]:
            record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=fp.id, field=key,
                   old=current[key], new=wanted[key], ref=agency.code, note=change.note())
            setattr(fp, key, wanted[key])
            changed = True
    if changed:
        fp.changed_in_app_at = change.at
    session.flush()
    return check_recipients(session, [fp.agency_id], today=change.today)


def deactivate_person(session: Session, change: Change, fp: FocalPoint, *, effective: date | None = None) -> list[str]:
    """From `effective` (default today) the person no longer serves: at once when that is today or
    earlier; later, their last day is the day before."""
    _reason(change)
    if not fp.active:
        raise InputError(f"{fp.email} is already inactive", field="email", vi=f"{fp.email} đã ngừng hoạt động rồi")
    agency = session.get(Agency, fp.agency_id)
    if effective is None or effective <= change.today:
        record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=fp.id, field="active",
               old=True, new=False, ref=agency.code, note=change.note(effective))
        fp.active = False
        end_sessions_of(session, email=fp.email, kind="focal")  # deactivated: signed out everywhere
    else:
        last = effective - timedelta(days=1)
        record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=fp.id, field="active_until",
               old=_plain(fp.active_until), new=last.isoformat(), ref=agency.code, note=change.note(effective))
        fp.active_until = last
    fp.changed_in_app_at = change.at
    session.flush()
    return check_recipients(session, [fp.agency_id], today=change.today)


def replace_person(session: Session, change: Change, fp: FocalPoint, *, name: str, email: str,
                   phone: str | None = None, address_as: str | None = None, title: str | None = None,
                   language: str | None = None, effective: date | None = None) -> FocalPoint:
    """Someone takes over `fp`'s role in the agency from `effective` (default today)."""
    _reason(change)
    agency = session.get(Agency, fp.agency_id)
    if not fp.active:
        raise InputError(f"{fp.email} is no longer active: add the new person instead", field="email",
                         vi=f"{fp.email} không còn hoạt động: hãy thêm người mới")
    if fp.email.lower() == email.strip().lower():
        raise InputError("the new address is the old one: edit the person instead", field="email",
                         vi="địa chỉ mới trùng địa chỉ cũ: hãy sửa thông tin người này")
    new = add_person(session, change, agency.code, name=name, email=email, role=fp.role,
                     language=language or fp.language, phone=phone, address_as=address_as, title=title,
                     effective=effective)
    record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=new.id, field="replaces",
           old=fp.email, new=new.email, ref=agency.code, note=change.note(effective))
    deactivate_person(session, change, fp, effective=effective)
    return new


def set_away(session: Session, change: Change, fp: FocalPoint, *, start: date | None, end: date | None) -> None:
    """Away from `start` to `end` (both included); None, None: back (the period cleared)."""
    _reason(change)
    if (start is None) != (end is None):
        raise InputError("an away period needs --from and --to", field="from", vi="thời gian vắng mặt cần cả --from và --to")
    if start and end < start:
        raise InputError(f"--to {end:%d/%m/%Y} is before --from {start:%d/%m/%Y}", field="to",
                         vi=f"--to {end:%d/%m/%Y} trước --from {start:%d/%m/%Y}")
    agency = session.get(Agency, fp.agency_id)
    old = f"{_show(fp.away_from)} - {_show(fp.away_to)}" if fp.away_from else None
    new = f"{_show(start)} - {_show(end)}" if start else None
    record(session, at=change.at, actor=change.actor, entity="focal_point", entity_id=fp.id, field="away",
           old=old, new=new, ref=agency.code, note=change.note())
    fp.away_from, fp.away_to = start, end
    fp.changed_in_app_at = change.at
    session.flush()


def who_serves(session: Session, agency_id: int, day: date, *, deputies: str = "always") -> tuple[list, list, bool]:
    """The agency's readers and heads on `day` (the same rule as the daily job)."""
    rows = [Duty(fp, fp.role, fp.active_from, fp.active_until, fp.away_from, fp.away_to)
            for fp in session.exec(select(FocalPoint).where(FocalPoint.agency_id == agency_id,
                                                            FocalPoint.active == True)  # noqa: E712
                                   .order_by(FocalPoint.id))]
    readers, heads, fallback = serving(rows, day, deputies=deputies)
    return [r.person for r in readers], [r.person for r in heads], fallback


def readers_by_agency(session: Session, day: date, *, deputies: str = "always",
                      agency_ids: set[int] | None = None) -> dict[int, list]:
    """Every agency's (or these agencies') readers on `day` (who_serves for all at once, one query): who
    the lists and exports name as the agency's focal point; each a row with its `name` and `email` (plain
    rows, not FocalPoint objects: the overdue page reads ~40 people per agency listed on every request)."""
    by_agency: dict[int, list[Duty]] = {}
    statement = (select(FocalPoint.agency_id, FocalPoint.name, FocalPoint.email, FocalPoint.role,
                        FocalPoint.active_from, FocalPoint.active_until, FocalPoint.away_from, FocalPoint.away_to)
                 .where(FocalPoint.active == True).order_by(FocalPoint.id))  # noqa: E712
    if agency_ids is not None:
        statement = statement.where(FocalPoint.agency_id.in_(agency_ids or {0}))
    for fp in session.execute(statement):
        by_agency.setdefault(fp.agency_id, []).append(
            Duty(fp, fp.role, fp.active_from, fp.active_until, fp.away_from, fp.away_to))
    return {agency_id: [r.person for r in serving(rows, day, deputies=deputies)[0]]
            for agency_id, rows in by_agency.items()}
