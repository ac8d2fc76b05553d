"""Agencies, the groups the plan names them by, and their focal points."""
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint


class AgencyKind(StrEnum):
    DEPARTMENT = "department"
    DISTRICT = "district"  # district-level unit: huyện, thị xã
    ALLIANCE = "alliance"
    STEERING_COMMITTEE = "steering_committee"
    OTHER = "other"


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    name_vi: str
    name_en: str
    kind: str = Field(max_length=30)


class AgencyGroup(SQLModel, table=True):
    """A name the plan uses for several agencies at once, e.g. "UBND các huyện, thị xã"."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    name_vi: str
    name_en: str


class AgencyGroupMember(SQLModel, table=True):
    group_id: int = Field(foreign_key="agencygroup.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class FocalPointRole(StrEnum):
    PRIMARY = "primary"
    DEPUTY = "deputy"
    HEAD = "head"  # the agency's head: added to reminders when escalating


class FocalPoint(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str
    email: str = Field(max_length=254)
    role: str = Field(default=FocalPointRole.PRIMARY, max_length=20)
    language: str = Field(default="vi", max_length=2)
    active: bool = True
