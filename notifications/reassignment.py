"""The reassignment use case as the CLI and the web run it: the move (models/reassignment.py) and
the emails to the old and the new lead's focal points (and the coordinators added or dropped), in the
same transaction, through the outbox (kind `reassignment`, one message per person and reassignment)."""
from datetime import datetime
from urllib.parse import quote

from sqlmodel import Session, select

from models.agency import Agency
from models.clock import local_date
from models.directory import who_serves
from models.reassignment import Reassigned, reassign
from notifications.letter import letter_for
from notifications.outbox import enqueue
from notifications.render import render


def reassign_duty(session: Session, *, ref: str, to_code: str | None, coordinators: list[str] | None, reason: str,
                  effective_on, at: datetime, actor: str, mail_from: str, base_url: str,
                  plan_code: str | None = None) -> tuple[Reassigned, int]:
    """Move the duty and queue the emails; (what was done, how many emails were queued)."""
    done = reassign(session, ref=ref, to_code=to_code, coordinators=coordinators, reason=reason,
                    effective_on=effective_on, at=at, actor=actor, plan_code=plan_code)
    row, task = done.reassignment, done.task
    before = set(filter(None, row.coordinators_before.split(",")))
    after = set(filter(None, row.coordinators_after.split(",")))
    # People read names, not the directory's codes.
    named = {a.code: a for a in session.exec(select(Agency).where(Agency.code.in_(before | after)))}

    def names(codes: set[str], english: bool = False) -> str:
        return ", ".join((named[c].name_en or named[c].name_vi) if english else named[c].name_vi
                         for c in sorted(codes) if c in named)

    roles: dict[int, str] = {}
    for code in sorted(before ^ after):
        agency = session.exec(select(Agency).where(Agency.code == code)).first()
        if agency is not None:
            roles[agency.id] = "coordinator"
    if done.old_lead.id != done.new_lead.id:
        roles[done.old_lead.id], roles[done.new_lead.id] = "old", "new"
    else:
        roles[done.old_lead.id] = "new"  # coordinators changed: the lead is told too
    link = f"{base_url.rstrip('/')}/tasks/{quote(task.ref, safe='/')}"
    queued = 0
    today = local_date(at)
    for agency_id, role in roles.items():
        agency = session.get(Agency, agency_id)
        readers, _heads, _fallback = who_serves(session, agency_id, today)
        for person in readers:
            context = dict(**letter_for(session, person.language, sender=None, name=person.name,
                                        address_as=person.address_as, title=person.title, plan_ids=[task.plan_id]),
                           recipient_name=person.name, role=role, ref=task.ref, title=task.title,
                           agency_name=agency.name_vi, agency_name_en=agency.name_en,
                           old_lead=done.old_lead.name_vi, new_lead=done.new_lead.name_vi,
                           old_lead_en=done.old_lead.name_en, new_lead_en=done.new_lead.name_en,
                           coordinators_before=names(before, person.language == "en"),
                           coordinators_after=names(after, person.language == "en"),
                           effective_on=row.effective_on, reason=row.reason, link=link)
            message = enqueue(session, key=f"reassignment|{row.id}|{person.email.lower()}", kind="reassignment",
                              recipient_email=person.email, recipient_name=person.name, language=person.language,
                              send_date=today, rendered=render("reassignment", person.language, context), now=at,
                              mail_from=mail_from)
            queued += message is not None
    return done, queued
