"""Agencies, the groups the plan names them by, and their focal points.

Once loaded the directory lives here (config/agencies.yaml is an import and an export, models/directory.py);
every change is in the audit. Who serves on a day is a pure function of the day (models/directory.py)."""
from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.agency_values import AgencyKind, FocalPointRole  # noqa: F401  (their home before)
from models.types import UtcDateTime


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    name_vi: str
    name_en: str
    kind: str = Field(max_length=30)
    # The province whose directory it belongs to (a plan matches agencies within its province).
    province: str = Field(default="", max_length=120)
    # Mã định danh (Decision 20/2020/QĐ-TTg), for exchange with document systems: e.g. 000.00.31.H06.
    identifier_code: str | None = Field(default=None, max_length=40)
    aliases: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line


class AgencyGroup(SQLModel, table=True):
    """A name the plan uses for several agencies at once, e.g. "UBND các huyện, thị xã"."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    name_vi: str
    name_en: str
    aliases: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line
    members: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # codes as written, one a line


class AgencyGroupMember(SQLModel, table=True):
    group_id: int = Field(foreign_key="agencygroup.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class FocalPoint(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str
    email: str = Field(max_length=254)
    role: str = Field(default=FocalPointRole.PRIMARY, max_length=20)
    language: str = Field(default="vi", max_length=2)
    active: bool = True
    phone: str | None = Field(default=None, max_length=40)
    address_as: str | None = Field(default=None, max_length=40)  # form of address: ông, bà, đồng chí
    title: str | None = Field(default=None, max_length=120)  # chức vụ
    # Serves from/until these days (a replacement effective from a date); None: no bound.
    active_from: date | None = None
    active_until: date | None = None
    # Away (leave, training) these days, both included: a deputy covers (models/directory.py).
    away_from: date | None = None
    away_to: date | None = None
    # Set when someone changes the person in the app; an import then shows a conflict rather than
    # undoing it (cleared when an import is applied to the person).
    changed_in_app_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
