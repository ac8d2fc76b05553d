"""All settings in one place, read from the environment (prefix DONDOC_) once per process.

One definition, `SettingFields` (every setting's type, default and checks), read two ways: `Settings`
(pydantic-settings' BaseSettings: keyword arguments over the environment; tests build their own
`Settings(...)` and pass it down instead of patching anything), and `read_settings()`, what
`get_settings()` gives the command line and flows: the same DONDOC_* variables validated by the same
model without importing pydantic-settings, whose import and set-up cost every command ~0.25x of
`import sqlalchemy` (issue 23). tests/cli/test_settings_reader.py holds the two equal.
`Settings` is built when first imported (module __getattr__ below).
"""
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config import CONFIG_DIR
from config.errors import Refusal
from config.paths import default_data_dir, sqlite_url


DEFAULT_SECRET = "dondoc-development-secret-change-me"


class SettingFields(BaseModel):
    # As BaseSettings has them: unknown names ignored, defaults checked too.
    model_config = ConfigDict(extra="ignore", validate_default=True)

    # Where the embedded default keeps its files (SQLite database, .eml outbox, Prefect home).
    # Default: the user's data folder, ~/.local/share/dondoc (config/paths.py says the search order).
    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty means SQLite at <data_dir>/dondoc.db; PostgreSQL: postgresql://user@host:5432/db
    database_url: str = ""
    # SQLite: how long to wait for another process's write lock before retrying (models.db.retry_locked).
    sqlite_busy_timeout_seconds: float = 30.0

    # A fixed date for long-running processes and demos. Empty: real today.
    today: date | None = None

    agencies_file: Path = CONFIG_DIR / "agencies.yaml"
    policy_file: Path = CONFIG_DIR / "policy.yaml"
    # The coordinating body: the báo cáo's header, signature and recipients; the emails' sender.
    organization_file: Path = CONFIG_DIR / "organization.yaml"

    # Mail. No SMTP host: each message is written as an .eml file into <data_dir>/outbox.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    # With TLS the server's certificate is verified against the system's CAs, or this CA file (PEM).
    smtp_ca_file: str = ""
    # How long to wait for the SMTP server to connect or answer any command (a stalled server is
    # given up on after this; the message stays queued).
    smtp_timeout_seconds: float = 30.0
    # The From: of every email. Empty: the coordinating body's sender in the organization file
    # (its display name and address); set it (DONDOC_MAIL_FROM) only to override that.
    mail_from: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    # A dispatcher's claim on a message expires after this long (it died mid-send).
    dispatch_lease_seconds: float = 600

    # Reply by email and bounces (notifications/reply_address.py, dondoc/inbox.py). With a mailbox to read
    # (an IMAP host, or a maildir on this machine) every actionable email carries a reply address and
    # every message a return path (VERP): the reply address with a tag after the separator
    # (dondoc+r12.<signature>@...). Empty reply_address: the address of the sender (resolved_mail_from).
    reply_address: str = ""
    reply_separator: Literal["+", "-"] = "+"
    imap_host: str = ""
    imap_port: int = 0  # 0: 993 with ssl, else 143
    imap_user: str = ""
    imap_password: str = ""
    imap_ssl: Literal["ssl", "starttls", "none"] = "ssl"
    # With TLS the server's certificate is verified against the system's CAs, or this CA file (PEM).
    imap_ca_file: str = ""
    imap_folder: str = "INBOX"
    # Where a message goes once it has been dealt with (created if missing).
    imap_processed_folder: str = "dondoc-processed"
    imap_timeout_seconds: float = 30.0
    # Instead of IMAP: a maildir on this machine (a local delivery, or the demo's).
    inbox_maildir: str = ""
    # How long the one-click links in a digest (/act/...) stay valid, in days from the day it is sent.
    action_link_days: int = 7
    # How often `dondoc serve` reads the mailbox (a cron step: 1-60 minutes).
    inbox_every_minutes: int = 15

    # Web: the address `dondoc web` listens on, and the key that signs cookies and links.
    # In production mode dondoc refuses to start with the default key.
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    secret_key: str = DEFAULT_SECRET
    production: bool = False
    # The largest request body the web app reads: a bigger one is refused with 413 before anything
    # parses it. Forms everywhere; the plan upload (/plans/import) has its own, above its file limit
    # (20 MiB, models/plan_import.py) with room for the form around it.
    web_max_body_bytes: int = 2_000_000
    web_max_upload_bytes: int = 22_000_000
    # Evidence files (models/evidence.py): the largest one accepted (20 MB). The task pages that take
    # files (/tasks/...) read bodies up to the larger of web_max_upload_bytes and this plus 2 MB.
    attachment_max_bytes: int = 20_000_000
    # Addresses (or networks, e.g. 10.0.0.0/8) of the reverse proxies in front of the web app,
    # comma-separated: only from these is X-Forwarded-For believed. Empty: the connection's address.
    trusted_proxies: str = ""

    # The scheduler service (`dondoc serve`): one per database, holding a lease renewed every this many
    # seconds and expiring after three times that (a crashed service's lease is then taken over).
    scheduler_lease_seconds: float = 60
    # A job never run on this database before catches up its missed runs of at most this many days.
    # Once a job has run, every run missed since (any gap) is caught up, coalesced into one.
    scheduler_catch_up_days: int = 7
    # Prefect (`dondoc deploy`): the work pool the deployments go into (created as a "process" pool if
    # missing) and the deployments' name (one set per province: e.g. bac-kan).
    prefect_work_pool: str = "dondoc"
    prefect_deployment_name: str = "dondoc"

    # Limits on guessing (dondoc/web/limits.py), each over a sliding window of this many seconds:
    # wrong review or sign-in tokens from one client, sign-in link requests from one client and for
    # one email address. Past a limit the page answers 429.
    rate_limit_window_seconds: int = 900
    token_failures_per_client: int = 10
    signin_requests_per_client: int = 20
    signin_requests_per_email: int = 5

    # `dondoc serve` delivers the outbox this often (real clock): temporary failures are retried
    # within the day, sign-in emails that failed go out as soon as the server is back.
    delivery_every_minutes: float = 5

    # Who is recorded in the audit when a command changes something.
    actor: str = ""
    # The command line's messages: vi (Vietnamese, the default) or en. (Read straight from the
    # environment by dondoc.cli.say, so that `dondoc --help` need not load the settings.)
    language: Literal["vi", "en"] = "vi"

    @field_validator("today", mode="before")
    @classmethod
    def _empty_today_is_none(cls, value):
        return value or None

    @field_validator("today")
    @classmethod
    def _today_within_the_calendar(cls, value):
        from config.limits import EARLIEST_DAY, LATEST_DAY
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise Refusal(f"{value.isoformat()} is outside {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}",
                          vi=f"{value.isoformat()} nằm ngoài khoảng {EARLIEST_DAY.isoformat()} đến "
                             f"{LATEST_DAY.isoformat()}")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database's URL; `postgres://` (as many hosts write it) is read as postgresql://. One
        dondoc does not run on (mysql://, a malformed one) is an InputError naming the setting; the
        URL itself is never repeated (it may hold a password)."""
        if not self.database_url.strip():
            return sqlite_url(self.data_dir)
        return checked_database_url(self.database_url.strip())

    def refusals(self, language: str = "en") -> list[str]:
        """What production mode does not allow, one line each in `language` (empty: nothing to refuse)."""
        if not self.production:
            return []
        vi = language == "vi"
        refused = []
        if self.secret_key == DEFAULT_SECRET:
            refused.append("không chạy ở chế độ production với khóa bí mật mặc định: hãy đặt DONDOC_SECRET_KEY" if vi else
                           "refusing to start in production mode with the default secret key: set DONDOC_SECRET_KEY")
        if self.today is not None:
            refused.append("không chạy ở chế độ production với ngày cố định (DONDOC_TODAY): đường dẫn và phiên đăng "
                           "nhập sẽ không bao giờ hết hạn; hãy bỏ DONDOC_TODAY" if vi else
                           "refusing to run in production mode with a fixed date (DONDOC_TODAY): links and sessions "
                           "would never expire; unset DONDOC_TODAY")
        return refused

    @property
    def resolved_mail_from(self) -> str:
        """Who every email comes from: DONDOC_MAIL_FROM if set, else the coordinating body
        ("Liên minh Hợp tác xã tỉnh Bắc Kạn <lienminh-htx@example.org>", config/organization.yaml)."""
        if self.mail_from.strip():
            return self.mail_from.strip()
        from config.organization import sender_address
        return sender_address(self.organization_file)

    @property
    def reads_inbox(self) -> bool:
        """A mailbox is configured: replies and bounces are read, so emails carry reply and return addresses."""
        return bool(self.imap_host or self.inbox_maildir)

    @property
    def resolved_imap_port(self) -> int:
        return self.imap_port or (993 if self.imap_ssl == "ssl" else 143)

    @field_validator("inbox_every_minutes")
    @classmethod
    def _a_cron_step(cls, value: int) -> int:
        if not 1 <= value <= 60:
            raise Refusal("must be from 1 to 60 (minutes)",
                          vi="phải từ 1 đến 60 (phút)")
        return value

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


_SUPPORTED = "dondoc runs on PostgreSQL (postgresql://user@host:5432/name) or SQLite (sqlite:///path/to/file.db)"
_SUPPORTED_VI = "dondoc chạy trên PostgreSQL (postgresql://user@host:5432/name) hoặc SQLite (sqlite:///path/to/file.db)"


def checked_database_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from config.errors import InputError

    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a port that is not a number fails here)
    except (ArgumentError, ValueError, TypeError):
        raise InputError(f"is not a database URL; {_SUPPORTED}", field="DONDOC_DATABASE_URL",
                         vi=f"không phải URL cơ sở dữ liệu; {_SUPPORTED_VI}") from None
    if parsed.drivername not in ("sqlite", "postgresql", "postgresql+psycopg"):
        raise InputError(f"{parsed.drivername}:// is not supported; {_SUPPORTED}", field="DONDOC_DATABASE_URL",
                         vi=f"{parsed.drivername}:// không được hỗ trợ; {_SUPPORTED_VI}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InputError(f"the port {parsed.port} is not a port number; {_SUPPORTED}", field="DONDOC_DATABASE_URL",
                         vi=f"cổng {parsed.port} không phải số cổng; {_SUPPORTED_VI}")
    return url


ENV_PREFIX = "DONDOC_"


def read_settings(environ=None) -> SettingFields:
    """The settings from the environment, as `Settings()` reads them (names in any case, a value as
    written, unknown DONDOC_* names ignored), checked by the same model: a bad value raises the same
    ValidationError (field and message)."""
    environ = os.environ if environ is None else environ
    lowered = {name.lower(): value for name, value in environ.items()}  # as pydantic-settings folds case
    prefix = ENV_PREFIX.lower()
    return SettingFields.model_validate({field: lowered[prefix + field] for field in SettingFields.model_fields
                                         if prefix + field in lowered})


def _settings_class():
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Settings(SettingFields, BaseSettings):
        model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    Settings.__module__ = __name__
    return Settings


def __getattr__(name: str):
    if name == "Settings":  # built on first use: `from config.settings import Settings` works as before
        globals()["Settings"] = _settings_class()
        return globals()["Settings"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def get_settings() -> SettingFields:
    return read_settings()
