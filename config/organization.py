"""The coordinating body as the files people edit describe it (config/organization.yaml): what its
documents say at the top and at the bottom, and who its emails come from."""
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import OneLine, read_yaml, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Signature(_Strict):
    authority: OneLine = Field(max_length=120)  # TM. BAN THƯỜNG VỤ / KT. CHỦ TỊCH
    position: OneLine = Field(max_length=120)  # CHỦ TỊCH / PHÓ CHỦ TỊCH
    name: OneLine = Field(max_length=120)


class EmailSender(_Strict):
    display_name: OneLine = Field(max_length=120)
    address: str = Field(pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$", max_length=254)
    contact_name: OneLine = Field(max_length=120)
    contact_phone: OneLine = Field(max_length=40)


class Organization(_Strict):
    parent: OneLine = Field(max_length=200)
    parent_short: OneLine = Field(max_length=120)
    name: OneLine = Field(max_length=200)
    short_name: OneLine = Field(max_length=120)
    symbol: str = Field(pattern=r"^[A-ZĐ0-9][A-ZĐ0-9-]*$", max_length=30)
    place: OneLine = Field(max_length=60)
    signature: Signature
    recipients: list[OneLine] = Field(min_length=1, max_length=40)
    archive: OneLine = Field(max_length=60)
    email: EmailSender


def read_organization(path: Path) -> Organization:
    return validate(Organization, read_yaml(path), path)


@lru_cache(maxsize=8)
def cached_organization(path: Path) -> Organization:
    """The organization file read once per process (every email names its sender)."""
    return read_organization(path)


def sender_address(path: Path) -> str:
    """The From: of the emails: "display name <address>" of the organization's `email:`."""
    email = cached_organization(path).email
    return f"{email.display_name} <{email.address}>"
