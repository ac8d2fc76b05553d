"""Shared fixtures. Every test gets its own empty, migrated database:
SQLite in a temporary folder by default, or a fresh schema in the PostgreSQL database named by
DONDOC_DATABASE_URL (postgresql://...), so the same suite runs on both.
"""
import os
import tempfile
import uuid
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from config import CONFIG_DIR
from config.settings import Settings
from dondoc.app.context import AppContext
from models.clock import VN_TZ
from tests.review_support import start_smtp

# A test that forgets to name its data folder must never read or migrate the user's own one (the demo's,
# ~/.local/share/dondoc): the default folder is a throwaway one for the whole run.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="dondoc-tests-data-")
os.environ.pop("DONDOC_DATA_DIR", None)

PG_URL = os.environ.get("DONDOC_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgresql")
BUNDLED_PLAN = CONFIG_DIR / "plans" / "bac-kan-2015-2020.yaml"
AGENCIES = CONFIG_DIR / "agencies.yaml"
FIXTURES = Path(__file__).parent / "fixtures"

requires_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set DONDOC_DATABASE_URL=postgresql://...")


def at_vn(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """A moment in Vietnam time, for tests that travel in time."""
    return datetime.combine(day, time(hour, minute), VN_TZ)


def pytest_report_header(config):
    return f"dondoc database: {'PostgreSQL ' + PG_URL if ON_POSTGRES else 'SQLite (set DONDOC_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture
def database_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'dondoc.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=database_url, today=None, actor="test")


@pytest.fixture
def app_context(settings):
    context = AppContext(settings)
    yield context
    context.close()


@pytest.fixture
def engine(app_context):
    return app_context.engine


@pytest.fixture
def smtp():
    """A real SMTP server on loopback (aiosmtpd): (its mailbox, its port)."""
    controller, box = start_smtp()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def context(loaded, settings, smtp):
    """The bundled plan, with mail going to the loopback SMTP server."""
    ctx = AppContext(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1]}))
    yield ctx
    ctx.close()


class Cli:
    """Runs `dondoc ...` through typer's runner against the test's settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.runner = CliRunner()

    def __call__(self, *args: str):
        from dondoc.cli import app

        context = AppContext(self.settings)
        try:
            return self.runner.invoke(app, [str(a) for a in args], obj=context)
        finally:
            context.close()

    def ok(self, *args: str):
        result = self(*args)
        assert result.exit_code == 0, result.output + str(result.exception or "")
        return result


@pytest.fixture
def cli(settings) -> Cli:
    return Cli(settings)


@pytest.fixture
def loaded(cli) -> Cli:
    """A database with the bundled Bắc Kạn plan loaded."""
    cli.ok("plan", "load", BUNDLED_PLAN)
    return cli
