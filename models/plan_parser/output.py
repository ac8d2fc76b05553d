"""A parsed plan as JSON (everything the parser read) or as the plan file `dondoc plan load` takes."""
import json
import re
import unicodedata
from pathlib import Path

import yaml

from models.plan_parser import ParsedPlan


def to_json(plan: ParsedPlan) -> dict:
    return {
        "plan": {"title": plan.title, "province": plan.province,
                 "issued": plan.issued.isoformat() if plan.issued else None,
                 "number": plan.number, "issuer": plan.issuer,
                 "horizon_start": plan.horizon_start.isoformat(), "horizon_end": plan.horizon_end.isoformat()},
        "tasks": [{
            "ref": t.ref, "section": t.section, "title": t.title,
            "lead": t.lead, "lead_code": t.lead_code,
            "coordinating": t.coordinating, "coordinating_codes": t.coordinating_codes,
            "text": t.text, "line": t.line, "timing": t.timing,
            "due": t.due.isoformat() if t.due else None, "rrule": t.rrule,
            "anchor": t.anchor.isoformat() if t.anchor else None,
            "deadline_phrase": t.deadline_phrase, "date_source": t.date_source, "product": t.product,
            "source": {"kind": t.source_kind, "where": t.where, "text": t.source_text},
        } for t in plan.tasks],
        "warnings": [{"line": w.line, "message": w.message} for w in plan.warnings],
    }


def json_text(plan: ParsedPlan) -> str:
    return json.dumps(to_json(plan), ensure_ascii=False, indent=2) + "\n"


def plan_code(source: str | Path | None, plan: ParsedPlan) -> str:
    """An ASCII code for the plan file: the source file's name, else the title's initials, with the
    horizon years. Editorial, like the title: reviewers may change it."""
    stem = Path(source).stem if source else ""
    if not stem:
        stem = "".join(word[0] for word in plan.title.split()[:8] if word[0].isalpha())
        stem = f"{stem}-{plan.horizon_start.year}-{plan.horizon_end.year}"
    ascii_text = unicodedata.normalize("NFKD", stem.replace("đ", "d").replace("Đ", "D"))
    code = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text.encode("ascii", "ignore").decode()).strip("-._")
    return code or "plan"


def plan_file(plan: ParsedPlan, source: str | Path | None = None) -> dict:
    """The plan file's content: lead and coordinating as directory codes, or as written."""
    tasks = []
    for t in plan.tasks:
        entry = {"ref": t.ref, "section": t.section, "title": t.title,
                 "lead": t.lead_code or t.lead or "",
                 "coordinating": [code or name for code, name in zip(t.coordinating_codes, t.coordinating)],
                 "timing": t.timing}
        if t.due:
            entry["due"] = t.due
        if t.rrule:
            entry.update(rrule=t.rrule, anchor=t.anchor)
        entry.update(deadline_phrase=t.deadline_phrase, date_source=t.date_source)
        if t.product:
            entry["product"] = t.product
        entry["text"] = t.text
        tasks.append(entry)
    header = {"code": plan_code(source, plan), "title": plan.title, "province": plan.province}
    for key, value in (("number", plan.number), ("issuer", plan.issuer), ("issued_on", plan.issued)):
        if value:
            header[key] = value
    header.update(horizon_start=plan.horizon_start, horizon_end=plan.horizon_end,
                  source=str(source) if source else "")
    return {"plan": header, "tasks": tasks}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def yaml_text(plan: ParsedPlan, source: str | Path | None = None) -> str:
    lines = ["# Parsed by `dondoc plan parse` from " + (str(source) if source else "a plan text") + ".",
             "# Review before `dondoc plan load`: titles are provisional; lead/coordinating are agency codes,",
             "# or names as written when the directory of the plan's province lacks them (add them with",
             "# `dondoc plan import PLAN --add NAME=CODE`, or fix them here);",
             "# mark the fields you decide yourself in `overrides:` with a `note:`."]
    if plan.warnings:
        lines.append("# Warnings:")
        lines += [f"#   line {w.line}: {w.message}" if w.line else f"#   {w.message}" for w in plan.warnings]
    body = yaml.dump(plan_file(plan, source), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000)
    # A blank line between tasks, as in the curated files.
    body = body.replace("\n- ref:", "\n\n- ref:")
    return "\n".join(lines) + "\n" + body
