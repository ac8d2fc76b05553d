"""What every email says around its own content: who writes (the coordinating body, its contact
officer and phone), about which plan (by its name and number), and to whom (the salutation).

The templates' shared parts (notifications/templates/_letter/<language>/) read the context this
module builds: `salutation`, `sender`, `plans`. Every kind includes the signature block.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from sqlalchemy import select as sa_select
from sqlmodel import Session

from config import CONFIG_DIR
from config.organization import cached_organization
from models.plan import Plan, Task, TaskCoordinator

SUBJECT_PREFIX = {"vi": "[Đôn đốc]", "en": "[Follow-up]"}
DEFAULT_FORM = "đồng chí"
_ENGLISH_FORMS = {"ông": "Mr", "bà": "Ms", "đồng chí": ""}


@dataclass(frozen=True)
class Sender:
    """The coordinating body as its emails name it (config/organization.yaml, `email:`)."""
    body: str  # Liên minh Hợp tác xã tỉnh Bắc Kạn
    address: str
    contact_name: str
    contact_phone: str

    @classmethod
    def of(cls, organization_file: Path) -> "Sender":
        organization = cached_organization(organization_file)
        return cls(organization.name, organization.email.address, organization.email.contact_name,
                   organization.email.contact_phone)


def default_sender() -> Sender:
    """The bundled organization file's sender (what tests and benchmarks that give none get)."""
    return Sender.of(CONFIG_DIR / "organization.yaml")


def salutation(language: str, name: str, address_as: str | None = None, title: str | None = None) -> str:
    """"Kính gửi ông Nguyễn Văn A, Phó Giám đốc Sở Kế hoạch và Đầu tư," or, with no form of address
    in the directory, "Kính gửi đồng chí Hoàng Văn Nam,". In English: "Dear Mr Nguyễn Văn A (title),"."""
    form = (address_as or "").strip() or DEFAULT_FORM
    title = (title or "").strip()
    if language == "en":
        english = _ENGLISH_FORMS.get(form.lower(), "")
        who = f"{english} {name}" if english else name
        return f"Dear {who}{f' ({title})' if title else ''},"
    return f"Kính gửi {form.lower()} {name}{f', {title}' if title else ''},"


def plan_name(plan: Plan, language: str = "vi") -> str:
    """The plan by its own name and number, never its internal code: "Kế hoạch triển khai thực hiện
    ... đến năm 2020 (số 85/KH-UBND của Ủy ban nhân dân tỉnh Bắc Kạn)"."""
    title = " ".join((plan.title or "").split()).rstrip(".")
    if language == "en":
        parts = [f"No. {plan.number}" if plan.number else "", f"issued by {plan.issuer}" if plan.issuer else ""]
    else:
        parts = [f"số {plan.number}" if plan.number else "",
                 f"của {plan.issuer}" if plan.issuer and plan.number else (plan.issuer or "")]
    said = " ".join(part for part in parts if part)
    return f"{title} ({said})" if said else title


class PlanNames:
    """Every plan's name, read once (a sweep names the plans of thousands of digests)."""

    def __init__(self, plans: Iterable[Plan]):
        self._plans = {plan.id: plan for plan in plans}
        self._names: dict[tuple[int, str], str] = {}

    @classmethod
    def read(cls, session: Session) -> "PlanNames":
        return cls(session.exec(sa_select(Plan).order_by(Plan.id)).scalars().all())

    def code_query(self, plan_id: int | None) -> str:
        """"?plan=CODE" for a link to a task when several plans are loaded (refs may repeat across them)."""
        if len(self._plans) < 2 or plan_id not in self._plans:
            return ""
        return f"?plan={quote(self._plans[plan_id].code, safe='')}"

    def names(self, plan_ids: Iterable[int | None] = (), language: str = "vi") -> list[str]:
        """The names of these plans; with none given (or none known), of every plan."""
        ids = sorted({i for i in plan_ids if i in self._plans}) or sorted(self._plans)
        out = []
        for plan_id in ids:
            key = (plan_id, language)
            if key not in self._names:
                self._names[key] = plan_name(self._plans[plan_id], language)
            out.append(self._names[key])
        return out


def plans_of_agencies(session: Session, agency_ids: Iterable[int]) -> set[int]:
    """The plans whose tasks these agencies lead or coordinate (a person's plans)."""
    ids = list(agency_ids)
    if not ids:
        return set()
    led = session.exec(sa_select(Task.plan_id).distinct().where(Task.lead_agency_id.in_(ids))).scalars().all()
    coordinated = session.exec(sa_select(Task.plan_id).distinct().join(TaskCoordinator, TaskCoordinator.task_id == Task.id)
                               .where(TaskCoordinator.agency_id.in_(ids))).scalars().all()
    return set(led) | set(coordinated)


def letter(language: str, *, sender: Sender, plans: list[str], greeting: str) -> dict:
    """The context every template's shared parts read."""
    plans = plans or (["the plan"] if language == "en" else ["Kế hoạch"])
    return dict(sender=sender, plans=plans, salutation=greeting, prefix=SUBJECT_PREFIX.get(language, "[Đôn đốc]"))


def letter_for(session: Session, language: str, *, sender: Sender | None, name: str, address_as: str | None = None,
               title: str | None = None, agency_ids: Iterable[int] = (), plan_ids: Iterable[int] = ()) -> dict:
    """The shared context for one recipient, reading the plans from the database: those named, else the
    ones of the recipient's agencies, else every plan."""
    wanted = set(plan_ids) or plans_of_agencies(session, agency_ids)
    return letter(language, sender=sender or default_sender(),
                  plans=PlanNames.read(session).names(wanted, language),
                  greeting=salutation(language, name, address_as, title))
